import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withTenant } from "@/lib/db";
import type { Session } from "@/lib/auth/claims";
import { renameProject, viewProject } from "@/lib/projects";
import { createProjectLink, grantProjectAccess, revokeProjectGrant } from "@/lib/grants";
import ProjectsPage from "@/app/(dashboard)/projects/page";
import ProjectPage from "@/app/(dashboard)/projects/[id]/page";
import MembersPage from "@/app/(dashboard)/settings/members/page";
import { callApi, newKey } from "../helpers/api";
import { createOrg, createUser, putOnPlan, request, signIn } from "../helpers/tenants";

/**
 * TEN-7 (with TEN-6 and TEN-3) as a property. One org with an owner, an admin, three members and two guests, five
 * projects (one created by a member), and a second org. Each run draws the org's base permission and a grant for
 * every (member or guest, project) pair: none, viewer, editor, manager (members only), or one of those already
 * expired. Then random operations run through the server actions, the dashboard pages' reads, the partner API (an
 * org-wide key and a project-scoped key) and raw SQL under each actor's claims. A model computes every actor's
 * level on every project from role + base permission + live grants only; every row seen or changed must be one the
 * model justifies, and every refusal must be the one it predicts (404 unseen, 403 seen but not allowed).
 */

afterAll(closeDb);

type Kind = "owner" | "admin" | "member" | "guest";
interface Actor {
  label: string;
  kind: Kind;
  userId: string;
  email: string;
  session: Session;
}
type Base = "none" | "read" | "write";
type Grant = "viewer" | "editor" | "manager";
interface Draw {
  base: Base;
  /** grants[actorIndex][projectIndex]: null = none; expired grants are stored but must count for nothing. */
  grants: ({ role: Grant; expired: boolean } | null)[][];
}

const LEVEL: Record<Grant, number> = { viewer: 1, editor: 2, manager: 3 };
const BASE_LEVEL: Record<Base, number> = { none: 0, read: 1, write: 2 };
const PROJECTS = 5;

/**
 * Every project-scoped table (a `project_id` column in public) and how to seed one row of it as the owner. A new
 * project-scoped table must be added here; the guard test below fails until it is (or is listed as not project data).
 */
const PROJECT_SCOPED: Record<string, (orgId: string, projectId: string, createdBy: string, n: string) => [string, unknown[]]> = {
  documents: (orgId, projectId, createdBy, n) => [
    "insert into public.documents (org_id, project_id, name, mime_type, size_bytes, created_by) values ($1, $2, $3, 'text/plain', 1, $4) returning id::text as id",
    [orgId, projectId, `d${n}`, createdBy],
  ],
  videos: (orgId, projectId, createdBy, n) => [
    "insert into public.videos (org_id, project_id, title, mux_upload_id, playback_policy, created_by) values ($1, $2, $3, $4, 'signed', $5) returning id::text as id",
    [orgId, projectId, `v${n}`, `up${n}${Math.random().toString(36).slice(2, 10)}`, createdBy],
  ],
};
/** Tables with a project_id whose rules are their own: keys (TEN-6, admin-only) and the grant tables. */
const NOT_PROJECT_DATA = ["api_keys", "project_grants", "project_invite_links"];
const SCOPED_TABLES = Object.keys(PROJECT_SCOPED);

let org: { id: string; slug: string };
let otherOrg: { id: string; slug: string };
let actors: Actor[] = [];
let owner: Actor;
const projectIds: string[] = [];
let foreignProjectId: string;
let orgKey: string;
let scopedKey: string;

async function actor(label: string, kind: Kind): Promise<Actor> {
  const userId = await createUser(kind === "guest" ? [] : [{ orgId: org.id, role: kind }]);
  if (kind === "guest") await (await ownerDb()).query("insert into public.memberships (org_id, user_id, role) values ($1, $2, 'guest')", [org.id, userId]);
  const { session } = await signIn(userId, { ...org, role: kind });
  return { label, kind, userId, email: `${userId}@example.test`, session };
}

beforeAll(async () => {
  org = await createOrg("Grants");
  otherOrg = await createOrg("Grants other");
  await putOnPlan(org.id, "business");
  owner = await actor("owner", "owner");
  actors = [owner, await actor("admin", "admin"), await actor("m1", "member"), await actor("m2", "member"), await actor("m3", "member"), await actor("g1", "guest"), await actor("g2", "guest")];
  const db = await ownerDb();
  for (let i = 0; i < PROJECTS; i++) {
    // Project 4 is created by m1: its creator manages it whatever the draw says.
    const creator = i === 4 ? actors[2]! : owner;
    const [row] = await db.query<{ id: string }>("insert into public.projects (org_id, name, created_by) values ($1, $2, $3) returning id::text as id", [org.id, `P${i}`, creator.userId]);
    projectIds.push(row!.id);
  }
  const otherOwner = await createUser([{ orgId: otherOrg.id, role: "owner" }]);
  const [foreign] = await db.query<{ id: string }>("insert into public.projects (org_id, name, created_by) values ($1, 'Foreign', $2) returning id::text as id", [otherOrg.id, otherOwner]);
  foreignProjectId = foreign!.id;
  orgKey = (await newKey(owner.session, { permissions: "read" })).plaintext;
  scopedKey = (await newKey(owner.session, { permissions: "read", projectId: projectIds[1]! })).plaintext;
});

// ---- model ----------------------------------------------------------------------------------------------------

function level(draw: Draw, a: number, p: number): number {
  const who = actors[a]!;
  if (who.kind === "owner" || who.kind === "admin") return 3;
  const grant = draw.grants[a]![p];
  const granted = grant && !grant.expired ? LEVEL[grant.role] : 0;
  const created = who.kind === "member" && p === 4 && who.label === "m1" ? 3 : 0;
  const base = who.kind === "member" ? BASE_LEVEL[draw.base] : 0;
  return Math.max(granted, created, base);
}
const readable = (draw: Draw, a: number) => projectIds.filter((_, p) => level(draw, a, p) >= 1).sort();
const writable = (draw: Draw, a: number) => projectIds.filter((_, p) => level(draw, a, p) >= 2).sort();

// ---- draws and commands -------------------------------------------------------------------------------------

const grantArb = (guest: boolean) =>
  fc.oneof(
    { arbitrary: fc.constant(null), weight: 3 },
    { arbitrary: fc.record({ role: fc.constantFrom<Grant[]>(...(guest ? (["viewer", "editor"] as Grant[]) : (["viewer", "editor", "manager"] as Grant[]))), expired: fc.boolean() }), weight: 4 },
  );
const drawArb: fc.Arbitrary<Draw> = fc.record({
  base: fc.constantFrom<Base[]>("none", "read", "write"),
  grants: fc.tuple(
    ...[0, 1, 2, 3, 4, 5, 6].map((a) => (a < 2 ? fc.constant(Array<null>(PROJECTS).fill(null)) : fc.array(grantArb(a >= 5), { minLength: PROJECTS, maxLength: PROJECTS }))),
  ),
});

type Command =
  | { kind: "view" | "pageView" | "rename" | "sqlInsertDoc" | "createLink" | "grant" | "revoke"; actor: number; project: number }
  | { kind: "pageList" | "sqlProjects" | "sqlUpdateAll" | "sqlDeleteDocs" | "sqlGrants" | "sqlMembers" | "membersPage" | "sqlGrantInsert"; actor: number }
  | { kind: "sqlScoped"; actor: number; table: number }
  | { kind: "apiOrgKey" | "apiScopedKey" }
  | { kind: "viewForeign"; actor: number };

const a = fc.nat({ max: 6 });
const p = fc.nat({ max: PROJECTS - 1 });
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constantFrom("view" as const, "pageView" as const, "rename" as const, "sqlInsertDoc" as const, "createLink" as const, "grant" as const, "revoke" as const), actor: a, project: p }),
  fc.record({
    kind: fc.constantFrom("pageList" as const, "sqlProjects" as const, "sqlUpdateAll" as const, "sqlDeleteDocs" as const, "sqlGrants" as const, "sqlMembers" as const, "membersPage" as const, "sqlGrantInsert" as const),
    actor: a,
  }),
  fc.record({ kind: fc.constant("sqlScoped" as const), actor: a, table: fc.nat({ max: 100 }) }),
  fc.record({ kind: fc.constantFrom("apiOrgKey" as const, "apiScopedKey" as const) }),
  fc.record({ kind: fc.constant("viewForeign" as const), actor: a }),
);

// ---- setup of one run ---------------------------------------------------------------------------------------

interface State {
  draw: Draw;
  /** Live documents: id -> project index. */
  documents: Map<string, number>;
  /** Rows of every project-scoped table: table -> id -> project index. */
  scoped: Map<string, Map<string, number>>;
}

async function applyDraw(draw: Draw): Promise<State> {
  const db = await ownerDb();
  await db.query("delete from public.project_grants where org_id = $1", [org.id]);
  for (const table of SCOPED_TABLES) await db.query(`delete from public.${table} where org_id = $1`, [org.id]);
  await db.query("update public.projects set name = 'P' where org_id = $1", [org.id]);
  await db.query("update public.organizations set base_permission = $2 where id = $1", [org.id, draw.base]);
  for (const [ai, row] of draw.grants.entries()) {
    for (const [pi, grant] of row.entries()) {
      if (!grant) continue;
      await db.query(
        `insert into public.project_grants (org_id, project_id, user_id, role, expires_at, created_by)
         values ($1, $2, $3, $4, case when $5 then now() - interval '1 minute' else now() + interval '1 day' end, $6)`,
        [org.id, projectIds[pi], actors[ai]!.userId, grant.role, grant.expired, owner.userId],
      );
    }
  }
  const scoped = new Map<string, Map<string, number>>();
  for (const table of SCOPED_TABLES) {
    const rows = new Map<string, number>();
    for (let pi = 0; pi < PROJECTS; pi++) {
      const [sql, params] = PROJECT_SCOPED[table]!(org.id, projectIds[pi]!, owner.userId, String(pi));
      const [row] = await db.query<{ id: string }>(sql, params);
      rows.set(row!.id, pi);
    }
    scoped.set(table, rows);
  }
  // The documents map is the same object: deletes and inserts through SQL keep both views in step.
  return { draw, documents: scoped.get("documents")!, scoped };
}

const sorted = (ids: string[]) => [...ids].sort();

async function expectRefused(promise: Promise<unknown>, pattern: RegExp) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e as { code?: string; message?: string },
  );
  expect(error, "the statement must be refused").not.toBeNull();
  expect(error!.code).toBe("42501");
  expect(error!.message).toMatch(pattern);
}

// ---- one step -----------------------------------------------------------------------------------------------

async function run(cmd: Command, state: State): Promise<void> {
  const { draw } = state;
  if (!("actor" in cmd)) {
    // TEN-6: keys are untouched by base permissions and grants: an org key sees every project, a scoped key its own.
    const res = await callApi("get", "/api/v1/projects", { key: cmd.kind === "apiOrgKey" ? orgKey : scopedKey, query: "?limit=100" });
    expect(res.status).toBe(200);
    const ids = (res.json!.data as { id: string }[]).map((r) => r.id);
    expect(sorted(ids)).toEqual(cmd.kind === "apiOrgKey" ? sorted(projectIds) : [projectIds[1]]);
    return;
  }
  const ai = cmd.actor;
  const who = actors[ai]!;
  const claims = who.session.claims;
  switch (cmd.kind) {
    case "view":
    case "pageView": {
      const id = projectIds[cmd.project]!;
      const visible = level(draw, ai, cmd.project) >= 1;
      if (cmd.kind === "view") {
        const result = await viewProject(who.session, { id }, request());
        expect(result).toMatchObject(visible ? { ok: true, data: { id } } : { ok: false, status: 404 });
      } else {
        const outcome = await ProjectPage.readFor(who.session, { id }, request());
        expect(outcome).toMatchObject(visible ? { kind: "ok", data: { id } } : { kind: "not_found" });
      }
      return;
    }
    case "viewForeign": {
      expect(await viewProject(who.session, { id: foreignProjectId }, request())).toMatchObject({ ok: false, status: 404 });
      return;
    }
    case "rename": {
      const l = level(draw, ai, cmd.project);
      const result = await renameProject(who.session, { id: projectIds[cmd.project], name: `R${ai}` }, request());
      expect(result).toMatchObject(l >= 2 ? { ok: true } : { ok: false, status: l === 1 ? 403 : 404 });
      return;
    }
    case "pageList": {
      const outcome = await ProjectsPage.readFor(who.session, undefined, request());
      expect(outcome.kind).toBe("ok");
      if (outcome.kind === "ok") expect(sorted(outcome.data.map((r) => r.id))).toEqual(readable(draw, ai));
      return;
    }
    case "membersPage": {
      // Guests: the member list does not exist for them (404), as every org-level page.
      const outcome = await MembersPage.readFor(who.session, undefined, request());
      if (who.kind === "guest") expect(outcome).toEqual({ kind: "not_found" });
      else expect(outcome.kind).toBe("ok");
      return;
    }
    case "sqlProjects": {
      const rows = await withTenant(claims, (tx) => tx.query<{ id: string; org_id: string }>("select id::text as id, org_id from public.projects"));
      expect(sorted(rows.map((r) => r.id))).toEqual(readable(draw, ai));
      return;
    }
    case "sqlScoped": {
      // Every project-scoped table: exactly the rows of the projects the actor may read.
      const table = SCOPED_TABLES[cmd.table % SCOPED_TABLES.length]!;
      const rows = await withTenant(claims, (tx) => tx.query<{ id: string }>(`select id::text as id from public.${table}`));
      const expected = [...state.scoped.get(table)!].filter(([, pi]) => level(draw, ai, pi) >= 1).map(([id]) => id);
      expect(sorted(rows.map((r) => r.id)), table).toEqual(sorted(expected));
      return;
    }
    case "sqlUpdateAll": {
      // An UPDATE with no WHERE reaches exactly the projects the actor may write.
      const rows = await withTenant(claims, (tx) => tx.query<{ id: string }>("update public.projects set name = $1 returning id::text as id", [`U${ai}`]));
      expect(sorted(rows.map((r) => r.id))).toEqual(writable(draw, ai));
      return;
    }
    case "sqlDeleteDocs": {
      const rows = await withTenant(claims, (tx) => tx.query<{ id: string }>("delete from public.documents returning id::text as id"));
      const expected = [...state.documents].filter(([, pi]) => level(draw, ai, pi) >= 2).map(([id]) => id);
      expect(sorted(rows.map((r) => r.id))).toEqual(sorted(expected));
      for (const r of rows) state.documents.delete(r.id);
      return;
    }
    case "sqlInsertDoc": {
      const attempt = withTenant(claims, (tx) =>
        tx.query<{ id: string }>(
          "insert into public.documents (org_id, project_id, name, mime_type, size_bytes, created_by) values ($1, $2, 'x', 'text/plain', 1, $3) returning id::text as id",
          [org.id, projectIds[cmd.project], who.userId],
        ),
      );
      if (level(draw, ai, cmd.project) >= 2) {
        const [row] = await attempt;
        state.documents.set(row!.id, cmd.project);
      } else {
        await expectRefused(attempt, /row-level security/);
      }
      return;
    }
    case "sqlGrants": {
      // Own grants, plus every grant of a project the actor manages (all of them for owners and admins).
      const rows = await withTenant(claims, (tx) => tx.query<{ project_id: string; user_id: string }>("select project_id::text as project_id, user_id from public.project_grants"));
      const expected: string[] = [];
      for (const [gi, row] of draw.grants.entries()) {
        for (const [pi, g] of row.entries()) if (g && (gi === ai || level(draw, ai, pi) >= 3)) expected.push(`${projectIds[pi]}:${actors[gi]!.userId}`);
      }
      expect(sorted(rows.map((r) => `${r.project_id}:${r.user_id}`))).toEqual(sorted(expected));
      return;
    }
    case "sqlMembers": {
      const rows = await withTenant(claims, (tx) => tx.query<{ user_id: string }>("select user_id from public.memberships"));
      const users = await withTenant(claims, (tx) => tx.query<{ id: string }>("select id from public.users"));
      if (who.kind === "guest") {
        expect(rows.map((r) => r.user_id)).toEqual([who.userId]);
        expect(users.map((r) => r.id)).toEqual([who.userId]);
      } else {
        expect(sorted(rows.map((r) => r.user_id))).toEqual(sorted(actors.map((x) => x.userId)));
      }
      return;
    }
    case "sqlGrantInsert": {
      // Nobody writes grants directly: only the rule-checking functions do.
      await expectRefused(
        withTenant(claims, (tx) =>
          tx.query("insert into public.project_grants (org_id, project_id, user_id, role, created_by) values ($1, $2, $3, 'manager', $3)", [org.id, projectIds[0], who.userId]),
        ),
        /permission denied/,
      );
      return;
    }
    case "createLink": {
      const l = level(draw, ai, cmd.project);
      const result = await createProjectLink(who.session, { projectId: projectIds[cmd.project], role: "viewer", expiresInDays: 1, maxUses: 1 }, request());
      if (who.kind === "guest") expect(result).toMatchObject({ ok: false, status: 403 });
      else expect(result).toMatchObject(l >= 3 ? { ok: true } : { ok: false, status: l === 0 ? 404 : 403 });
      return;
    }
    case "grant":
    case "revoke": {
      // The target: a member (m3) for a grant; whatever m3 holds for a revoke.
      const target = actors[4]!;
      const l = level(draw, ai, cmd.project);
      const result =
        cmd.kind === "grant"
          ? await grantProjectAccess(who.session, { projectId: projectIds[cmd.project], email: target.email, role: "editor", expiresInDays: "" }, request())
          : await revokeProjectGrant(who.session, { projectId: projectIds[cmd.project], userId: target.userId }, request());
      if (who.kind === "guest") {
        expect(result).toMatchObject({ ok: false, status: 403 });
        return;
      }
      const had = draw.grants[4]![cmd.project];
      if (l >= 3) {
        if (cmd.kind === "grant") {
          expect(result).toMatchObject({ ok: true });
          draw.grants[4]![cmd.project] = { role: "editor", expired: false };
        } else if (had) {
          expect(result).toMatchObject({ ok: true });
          draw.grants[4]![cmd.project] = null;
        } else {
          expect(result).toMatchObject({ ok: false, status: 404 });
        }
      } else {
        expect(result).toMatchObject({ ok: false, status: l === 0 ? 404 : 403 });
      }
      return;
    }
  }
}

describe("project grants property (TEN-7, TEN-6, TEN-3)", () => {
  it("covers every project-scoped table of the schema", async () => {
    const rows = await (await ownerDb()).query<{ table_name: string }>(
      "select table_name::text as table_name from information_schema.columns where table_schema = 'public' and column_name = 'project_id' order by 1",
    );
    expect(rows.map((r) => r.table_name).filter((t) => !NOT_PROJECT_DATA.includes(t))).toEqual([...SCOPED_TABLES].sort());
  });

  it(
    "every row an actor sees or changes is justified by its role, the base permission or a live grant; expired grants count for nothing",
    async () => {
      let steps = 0;
      await fc.assert(
        fc.asyncProperty(drawArb, fc.array(commandArb, { minLength: 6, maxLength: 12 }), async (draw, commands) => {
          const state = await applyDraw(structuredClone(draw));
          for (const [i, cmd] of commands.entries()) {
            try {
              await run(cmd, state);
            } catch (error) {
              const label = "actor" in cmd ? actors[cmd.actor]!.label : "key";
              throw new Error(`step ${i} (${cmd.kind} by ${label}, base ${state.draw.base}) ${JSON.stringify(cmd)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
            }
            steps += 1;
          }
        }),
        { numRuns: 30, endOnFailure: false },
      );
      expect(steps).toBeGreaterThan(0);
    },
    180_000,
  );
});
