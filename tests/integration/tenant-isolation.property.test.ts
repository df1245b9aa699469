import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withTenant } from "@/lib/db";
import type { Session } from "@/lib/auth/claims";
import { verifyAuditChains } from "@/lib/audit/verify";
import { createProject, deleteProject, listProjects, renameProject, viewProject } from "@/lib/projects";
import ProjectsPage from "@/app/(dashboard)/projects/page";
import ProjectPage from "@/app/(dashboard)/projects/[id]/page";
import { orgWithMembers, request } from "../helpers/tenants";

/**
 * TEN-1..TEN-4 as a property: 3 orgs x (owner, admin, member) = 9 actors run random sequences of project
 * commands, through the server-action layer, the dashboard pages' read pipeline, and as raw SQL under the runtime
 * role with their own claims.
 * A model records which org owns which project (and its name); after every step the database, read as the
 * owner, must match the model exactly, so any foreign row changed, deleted or forged fails the property.
 */

afterAll(closeDb);

const ROLES = ["owner", "admin", "member"] as const;
type Role = (typeof ROLES)[number];

interface Actor {
  label: string;
  orgIndex: number;
  orgId: string;
  role: Role;
  session: Session;
}

let orgIds: string[] = [];
let actors: Actor[] = [];

beforeAll(async () => {
  const orgs = [];
  for (const name of ["Iso A", "Iso B", "Iso C"]) orgs.push(await orgWithMembers(name));
  orgIds = orgs.map((o) => o.org.id);
  // Isolation between orgs is the property here, so members may write every project of their own org (base
  // permission `write`); what base permissions and project grants allow inside an org is
  // tests/integration/project-grants.property.test.ts.
  await (await ownerDb()).query("update public.organizations set base_permission = 'write' where id = any($1::text[])", [orgIds]);
  actors = orgs.flatMap((o, orgIndex) =>
    ROLES.map((role) => ({ label: `${"ABC"[orgIndex]}.${role}`, orgIndex, orgId: o.org.id, role, session: o[role] })),
  );
});

// ---- commands --------------------------------------------------------------------------------------------

/** Which id a command aims at, resolved against the model when it runs (so sequences replay deterministically). */
interface Target {
  scope: "own" | "foreign" | "any" | "unknown";
  pick: number;
  uuid: string;
}

type Command =
  | { kind: "create"; actor: number; name: string }
  | { kind: "rename"; actor: number; target: Target; name: string }
  | { kind: "delete"; actor: number; target: Target }
  | { kind: "get"; actor: number; target: Target }
  | { kind: "list"; actor: number }
  | { kind: "pageGet"; actor: number; target: Target }
  | { kind: "pageList"; actor: number }
  | { kind: "sqlSelectAll"; actor: number }
  | { kind: "sqlUpdateAll"; actor: number; name: string }
  | { kind: "sqlDeleteAll"; actor: number }
  | { kind: "sqlInsertOwn"; actor: number; name: string }
  | { kind: "sqlInsertForeign"; actor: number; otherOrg: number; name: string }
  | { kind: "sqlMoveToForeign"; actor: number; otherOrg: number };

const actorArb = fc.nat({ max: 8 });
const nameArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,24}$/);
const otherOrgArb = fc.integer({ min: 1, max: 2 }); // offset from the actor's org, so it is always another org
const targetArb: fc.Arbitrary<Target> = fc.record({
  scope: fc.oneof(
    { arbitrary: fc.constant("own" as const), weight: 5 },
    { arbitrary: fc.constant("foreign" as const), weight: 4 },
    { arbitrary: fc.constant("any" as const), weight: 1 },
    { arbitrary: fc.constant("unknown" as const), weight: 1 },
  ),
  pick: fc.nat(),
  uuid: fc.uuid({ version: 4 }),
});

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("create" as const), actor: actorArb, name: nameArb }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant("rename" as const), actor: actorArb, target: targetArb, name: nameArb }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("delete" as const), actor: actorArb, target: targetArb }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("get" as const), actor: actorArb, target: targetArb }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("list" as const), actor: actorArb }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("pageGet" as const), actor: actorArb, target: targetArb }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("pageList" as const), actor: actorArb }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("sqlSelectAll" as const), actor: actorArb }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("sqlUpdateAll" as const), actor: actorArb, name: nameArb }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("sqlDeleteAll" as const), actor: actorArb }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("sqlInsertOwn" as const), actor: actorArb, name: nameArb }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("sqlInsertForeign" as const), actor: actorArb, otherOrg: otherOrgArb, name: nameArb }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("sqlMoveToForeign" as const), actor: actorArb, otherOrg: otherOrgArb }), weight: 1 },
);

// ---- model -----------------------------------------------------------------------------------------------

interface ModelProject {
  id: string;
  orgId: string;
  name: string;
}

class Model {
  /** Projects that exist, by id. */
  readonly live = new Map<string, ModelProject>();
  /** Every id seen in this run, in creation order, deleted ones included. */
  readonly seen: string[] = [];
  /** Expected number of new `security.cross_tenant_access` entries per org (TEN-4). */
  readonly securityEvents = new Map<string, number>();

  add(p: ModelProject) {
    this.live.set(p.id, p);
    this.seen.push(p.id);
  }

  ownLive(orgId: string): ModelProject[] {
    return [...this.live.values()].filter((p) => p.orgId === orgId);
  }

  resolve(actor: Actor, t: Target): string {
    const candidates =
      t.scope === "own"
        ? this.ownLive(actor.orgId).map((p) => p.id)
        : t.scope === "foreign"
          ? [...this.live.values()].filter((p) => p.orgId !== actor.orgId).map((p) => p.id)
          : t.scope === "any"
            ? this.seen
            : [];
    return candidates.length > 0 ? candidates[t.pick % candidates.length]! : t.uuid;
  }

  /** The id exists, but in another org: a 404 for it must be recorded as a security event. */
  isForeignLive(actor: Actor, id: string): boolean {
    const p = this.live.get(id);
    return p !== undefined && p.orgId !== actor.orgId;
  }

  expectSecurityEvent(actor: Actor) {
    this.securityEvents.set(actor.orgId, (this.securityEvents.get(actor.orgId) ?? 0) + 1);
  }
}

// ---- helpers ---------------------------------------------------------------------------------------------

interface Row {
  id: string;
  org_id: string;
  name: string;
}

const byId = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
const idsOf = (rows: { id: string }[]) => rows.map((r) => r.id).sort();

async function securityEventCounts(): Promise<Map<string, number>> {
  const rows = await (await ownerDb()).query<{ org_id: string; n: number }>(
    `select org_id, count(*)::int as n from public.audit_logs
      where org_id = any($1::text[]) and action = 'security.cross_tenant_access' group by org_id`,
    [orgIds],
  );
  return new Map(rows.map((r) => [r.org_id, r.n]));
}

/** Every row of the three orgs, read as the owner (RLS does not apply to it here: it is the ground truth). */
async function ownerSnapshot(): Promise<Row[]> {
  return (await ownerDb()).query<Row>("select id::text as id, org_id, name from public.projects where org_id = any($1::text[]) order by id", [orgIds]);
}

/** The actor saw only rows of its own org, and exactly the ones the model says exist. */
function expectOwnRowsOnly(actor: Actor, rows: { id: string; org_id: string }[], model: Model) {
  for (const row of rows) expect(row.org_id, `${actor.label} saw a row of another org`).toBe(actor.orgId);
  expect(idsOf(rows)).toEqual(idsOf(model.ownLive(actor.orgId)));
}

async function expectRlsRejection(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e as { code?: string; message?: string },
  );
  expect(error, "the statement must be rejected by row-level security").not.toBeNull();
  expect(error!.code).toBe("42501");
  expect(error!.message).toMatch(/row-level security/);
}

// ---- one step --------------------------------------------------------------------------------------------

async function runCommand(cmd: Command, model: Model): Promise<void> {
  const actor = actors[cmd.actor]!;
  const claims = actor.session.claims;

  switch (cmd.kind) {
    case "create": {
      const result = await createProject(actor.session, { name: cmd.name }, request());
      expect(result.ok, JSON.stringify(result)).toBe(true);
      if (!result.ok) return;
      expect(result.data).toMatchObject({ org_id: actor.orgId, name: cmd.name.trim(), created_by: actor.session.userId });
      model.add({ id: result.data.id, orgId: actor.orgId, name: cmd.name.trim() });
      return;
    }
    case "rename": {
      const id = model.resolve(actor, cmd.target);
      const own = model.live.get(id)?.orgId === actor.orgId;
      const foreign = model.isForeignLive(actor, id);
      const result = await renameProject(actor.session, { id, name: cmd.name }, request());
      if (own) {
        expect(result).toMatchObject({ ok: true, data: { id, org_id: actor.orgId, name: cmd.name.trim() } });
        model.live.get(id)!.name = cmd.name.trim();
      } else {
        expect(result).toMatchObject({ ok: false, status: 404 });
        if (foreign) model.expectSecurityEvent(actor);
      }
      return;
    }
    case "delete": {
      const id = model.resolve(actor, cmd.target);
      const own = model.live.get(id)?.orgId === actor.orgId;
      const foreign = model.isForeignLive(actor, id);
      const result = await deleteProject(actor.session, { id }, request());
      if (actor.role === "member") {
        // TEN-3: refused before any lookup, for own and foreign ids alike; nothing changes.
        expect(result).toMatchObject({ ok: false, status: 403 });
      } else if (own) {
        expect(result).toMatchObject({ ok: true, data: { id } });
        model.live.delete(id);
      } else {
        expect(result).toMatchObject({ ok: false, status: 404 });
        if (foreign) model.expectSecurityEvent(actor);
      }
      return;
    }
    case "get": {
      const id = model.resolve(actor, cmd.target);
      const expected = model.live.get(id);
      const result = await viewProject(actor.session, { id }, request());
      if (expected && expected.orgId === actor.orgId) {
        expect(result).toMatchObject({ ok: true, data: { id, org_id: actor.orgId, name: expected.name } });
      } else {
        expect(result).toMatchObject({ ok: false, status: 404 });
        if (model.isForeignLive(actor, id)) model.expectSecurityEvent(actor);
      }
      return;
    }
    case "list": {
      const rows = await withTenant(claims, listProjects);
      expectOwnRowsOnly(actor, rows, model);
      return;
    }
    case "pageGet": {
      const id = model.resolve(actor, cmd.target);
      const expected = model.live.get(id);
      const outcome = await ProjectPage.readFor(actor.session, { id }, request());
      if (expected && expected.orgId === actor.orgId) {
        expect(outcome).toMatchObject({ kind: "ok", data: { id, org_id: actor.orgId, name: expected.name } });
      } else {
        expect(outcome).toEqual({ kind: "not_found" });
        if (model.isForeignLive(actor, id)) model.expectSecurityEvent(actor);
      }
      return;
    }
    case "pageList": {
      const outcome = await ProjectsPage.readFor(actor.session, undefined, request());
      expect(outcome.kind).toBe("ok");
      if (outcome.kind === "ok") expectOwnRowsOnly(actor, outcome.data, model);
      return;
    }
    case "sqlSelectAll": {
      const rows = await withTenant(claims, (tx) => tx.query<Row>("select id::text as id, org_id, name from public.projects"));
      expectOwnRowsOnly(actor, rows, model);
      for (const row of rows) expect(row.name).toBe(model.live.get(row.id)!.name);
      return;
    }
    case "sqlUpdateAll": {
      // A statement that "forgot" its WHERE clause still only reaches the caller's org (TEN-2).
      const rows = await withTenant(claims, (tx) =>
        tx.query<Row>("update public.projects set name = $1 returning id::text as id, org_id, name", [cmd.name]),
      );
      expectOwnRowsOnly(actor, rows, model);
      for (const p of model.ownLive(actor.orgId)) p.name = cmd.name;
      return;
    }
    case "sqlDeleteAll": {
      const rows = await withTenant(claims, (tx) => tx.query<Row>("delete from public.projects returning id::text as id, org_id, name"));
      if (actor.role === "member") {
        // TEN-3 in the database: the delete policy admits only owners and admins.
        expect(rows).toEqual([]);
        return;
      }
      expectOwnRowsOnly(actor, rows, model);
      for (const row of rows) model.live.delete(row.id);
      return;
    }
    case "sqlInsertOwn": {
      const [row] = await withTenant(claims, (tx) =>
        tx.query<Row>("insert into public.projects (org_id, name, created_by) values ($1, $2, $3) returning id::text as id, org_id, name", [
          actor.orgId,
          cmd.name,
          actor.session.userId,
        ]),
      );
      expect(row).toMatchObject({ org_id: actor.orgId, name: cmd.name });
      model.add({ id: row!.id, orgId: actor.orgId, name: cmd.name });
      return;
    }
    case "sqlInsertForeign": {
      const otherOrgId = orgIds[(actor.orgIndex + cmd.otherOrg) % orgIds.length]!;
      await expectRlsRejection(
        withTenant(claims, (tx) =>
          tx.query("insert into public.projects (org_id, name, created_by) values ($1, $2, $3)", [otherOrgId, cmd.name, actor.session.userId]),
        ),
      );
      return;
    }
    case "sqlMoveToForeign": {
      // Moving own rows into another org violates the update policy's WITH CHECK (when there is a row to move).
      const otherOrgId = orgIds[(actor.orgIndex + cmd.otherOrg) % orgIds.length]!;
      const attempt = withTenant(claims, (tx) => tx.query<Row>("update public.projects set org_id = $1 returning id::text as id, org_id, name", [otherOrgId]));
      if (model.ownLive(actor.orgId).length > 0) await expectRlsRejection(attempt);
      else expect(await attempt).toEqual([]);
      return;
    }
  }
}

/** After every step: the database, read as the owner, is exactly the model (TEN-1, TEN-2, TEN-4). */
async function checkInvariants(model: Model, baseline: Map<string, number>) {
  const expected = byId([...model.live.values()].map((p) => ({ id: p.id, org_id: p.orgId, name: p.name })));
  expect(await ownerSnapshot()).toEqual(expected);
  const events = await securityEventCounts();
  for (const orgId of orgIds) {
    expect(events.get(orgId) ?? 0, `security events of ${orgId}`).toBe((baseline.get(orgId) ?? 0) + (model.securityEvents.get(orgId) ?? 0));
  }
}

describe("tenant isolation property (TEN-1, TEN-2, TEN-3, TEN-4)", () => {
  it(
    "no actor sees, changes or deletes another org's projects; foreign ids are 404s; members cannot delete",
    async () => {
      let steps = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(commandArb, { minLength: 8, maxLength: 15, size: "max" }), async (commands) => {
          // Each run starts from no projects in the three orgs, so a failing sequence replays the same way.
          await (await ownerDb()).query("delete from public.projects where org_id = any($1::text[])", [orgIds]);
          const model = new Model();
          const baseline = await securityEventCounts();
          for (const [i, cmd] of commands.entries()) {
            try {
              await runCommand(cmd, model);
              await checkInvariants(model, baseline);
            } catch (error) {
              const label = actors[cmd.actor]!.label;
              throw new Error(`step ${i} (${cmd.kind} by ${label}) ${JSON.stringify(cmd)}: ${error instanceof Error ? error.message : String(error)}`, {
                cause: error,
              });
            }
            steps += 1;
          }
        }),
        { numRuns: 25, endOnFailure: false },
      );
      expect(steps).toBeGreaterThan(0);

      // Everything the actions wrote to the three orgs' audit logs still forms intact chains (AUD-2).
      for (const orgId of orgIds) {
        const result = await verifyAuditChains(await ownerDb(), orgId);
        expect(result.breaks).toEqual([]);
      }
    },
    120_000,
  );
});
