import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withTenant } from "@/lib/db";
import { markVerified, type SessionClaims, type VerifiedClaims } from "@/lib/auth/claims";
import { createProject } from "@/lib/projects";
import { createOrg, createUser, request, signIn, uid } from "../helpers/tenants";

afterAll(closeDb);

/**
 * TEN-1 / TEN-2: policies compare org_id with a claim read through a JSON path. A path that does not exist
 * yields NULL, and `org_id = NULL` must match nothing: claims without a usable org see no tenant row and
 * cannot write one, whatever org_id the statement names.
 */

interface Tenant {
  orgId: string;
  userId: string;
  claims: VerifiedClaims;
  projectId: string;
}

let a: Tenant;
let b: Tenant;

async function tenant(name: string): Promise<Tenant> {
  const org = await createOrg(name);
  const userId = await createUser([{ orgId: org.id, role: "admin" }]);
  const { session } = await signIn(userId, { ...org, role: "admin" });
  const created = await createProject(session, { name: `${name} plans` }, request());
  if (!created.ok) throw new Error(`setup: ${created.message}`);
  const db = await ownerDb();
  await db.query("insert into public.documents (org_id, project_id, name, mime_type, size_bytes, created_by) values ($1, $2, $3, $4, $5, $6)", [
    org.id,
    created.data.id,
    "plan.pdf",
    "application/pdf",
    1024,
    userId,
  ]);
  return { orgId: org.id, userId, claims: session.claims, projectId: created.data.id };
}

beforeAll(async () => {
  a = await tenant("Acme");
  b = await tenant("Globex");
});

const TENANT_TABLES = ["projects", "documents", "memberships", "organizations", "audit_logs"] as const;

async function visibleCounts(claims: VerifiedClaims) {
  return withTenant(claims, async (tx) => {
    const counts: Record<string, number> = {};
    for (const table of TENANT_TABLES) {
      const [row] = await tx.query<{ n: number }>(`select count(*)::int as n from public.${table}`);
      counts[table] = row!.n;
    }
    // A user may see their own user row; nobody else's without an org.
    const [others] = await tx.query<{ n: number }>("select count(*)::int as n from public.users where id is distinct from (select auth.jwt() ->> 'sub')");
    counts.otherUsers = others!.n;
    return counts;
  });
}

const NOTHING = { projects: 0, documents: 0, memberships: 0, organizations: 0, audit_logs: 0, otherUsers: 0 };

function identity(sub: string): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { sub, sid: `sess_${uid()}`, iss: "http://localhost:3000", azp: "http://localhost:3000", iat: now, nbf: now, exp: now + 60 };
}

const claimsWithoutOrg: { name: string; claims: () => Record<string, unknown> }[] = [
  { name: "no org claim at all", claims: () => ({ ...identity(a.userId), v: 2 }) },
  { name: "o: {}", claims: () => ({ ...identity(a.userId), v: 2, o: {} }) },
  { name: "org_id: null", claims: () => ({ ...identity(a.userId), org_id: null }) },
  { name: "only an unrelated claim", claims: () => ({ tenant: a.orgId }) },
  { name: "an empty claims object", claims: () => ({}) },
  { name: "o.id: null with an admin role", claims: () => ({ ...identity(a.userId), v: 2, o: { id: null, rol: "admin" }, org_role: "org:admin" }) },
  { name: "o as a bare string instead of an object", claims: () => ({ ...identity(a.userId), v: 2, o: a.orgId }) },
  { name: 'org_id: ""', claims: () => ({ ...identity(a.userId), org_id: "" }) },
];

const verified = (claims: Record<string, unknown>) => markVerified(claims as unknown as SessionClaims);

describe("the org claim that is present is honoured (control for the cases below)", () => {
  it("both orgs' rows exist, and org A's claims see exactly org A's", async () => {
    const db = await ownerDb();
    const [all] = await db.query<{ n: number }>("select count(*)::int as n from public.projects where id in ($1, $2)", [a.projectId, b.projectId]);
    expect(all!.n).toBe(2);

    const projects = await withTenant(a.claims, (tx) => tx.query<{ id: string; org_id: string }>("select id, org_id from public.projects"));
    expect(projects).toEqual([{ id: a.projectId, org_id: a.orgId }]);
    expect(await visibleCounts(a.claims)).toMatchObject({ projects: 1, documents: 1, memberships: 1, organizations: 1 });
  });

  it("org A's claims can insert a project into org A", async () => {
    const [row] = await withTenant(a.claims, (tx) =>
      tx.query<{ org_id: string }>("insert into public.projects (org_id, name, created_by) values ($1, 'Allowed', $2) returning org_id", [a.orgId, a.userId]),
    );
    expect(row).toEqual({ org_id: a.orgId });
  });
});

describe.each(claimsWithoutOrg)("claims with $name (TEN-1, TEN-2)", ({ claims }) => {
  it("see no row of any tenant table", async () => {
    expect(await visibleCounts(verified(claims()))).toEqual(NOTHING);
  });

  it("update and delete no project, even naming it by id", async () => {
    const c = verified(claims());
    const updated = await withTenant(c, (tx) =>
      tx.query("update public.projects set name = 'Owned' where id in ($1, $2) returning id", [a.projectId, b.projectId]),
    );
    const deleted = await withTenant(c, (tx) => tx.query("delete from public.projects where id in ($1, $2) returning id", [a.projectId, b.projectId]));
    expect({ updated, deleted }).toEqual({ updated: [], deleted: [] });
  });

  it.each([
    { target: "org_id null", org: () => null },
    { target: "org A (the subject's own org)", org: () => a.orgId },
    { target: "org B", org: () => b.orgId },
  ])("cannot insert a project with $target", async ({ org }) => {
    const c = verified(claims());
    const attempt = withTenant(c, (tx) =>
      tx.query("insert into public.projects (org_id, name, created_by) values ($1, 'Planted', $2) returning id", [org(), c.sub ?? a.userId]),
    );
    await expect(attempt).rejects.toThrow(/row-level security/);
  });

  it("cannot attach a document to an existing project", async () => {
    const c = verified(claims());
    const attempt = withTenant(c, (tx) =>
      tx.query(
        "insert into public.documents (org_id, project_id, name, mime_type, size_bytes, created_by) values ($1, $2, 'x.txt', 'text/plain', 1, $3)",
        [a.orgId, a.projectId, c.sub ?? a.userId],
      ),
    );
    await expect(attempt).rejects.toThrow(/row-level security/);
  });
});

describe("rows are untouched after all of the above", () => {
  it("both seeded projects still exist with their names", async () => {
    const db = await ownerDb();
    const rows = await db.query<{ id: string; name: string }>("select id, name from public.projects where id in ($1, $2) order by name", [a.projectId, b.projectId]);
    expect(rows).toEqual([
      { id: a.projectId, name: "Acme plans" },
      { id: b.projectId, name: "Globex plans" },
    ]);
  });
});
