import { afterAll, describe, expect, it } from "vitest";

/**
 * TEN-2: the claims and the role a request transaction sets die with it. Whether the transaction commits, rolls
 * back, fails on a statement or is a one-message read, the very connection it ran on is afterwards back to the
 * runtime role with no claims, so the next request on that pooled connection cannot inherit them. On PostgreSQL the
 * pool has ONE connection here (the backend pid proves it is the same one); PGlite is one session anyway.
 */
process.env.DB_POOL_MAX = "1";

const { closeDb, runtimeSession, withTenant } = await import("@/lib/db");
const { orgWithMembers } = await import("../helpers/tenants");
const { newKey } = await import("../helpers/api");
const { resolveApiKey, withApiKeyTenant } = await import("@/lib/api-keys");

afterAll(closeDb);

interface Inside {
  pid: number;
  claims: string | null;
  role: string;
}
const INSIDE = "select pg_catalog.pg_backend_pid() as pid, nullif(current_setting('request.jwt.claims', true), '') as claims, current_user::text as role";

async function expectBackToRuntime(inside: Inside | undefined, orgId: string) {
  expect(inside).toBeDefined();
  expect(inside!.role).toBe("authenticated");
  expect(inside!.claims).toContain(orgId);
  const after = await runtimeSession();
  expect(after.backendPid).toBe(inside!.pid);
  expect({ claims: after.claims, currentUser: after.currentUser }).toEqual({ claims: null, currentUser: "app_runtime" });
}

class Rollback extends Error {}

describe("TEN-2: claims and role are set for the transaction, never for the session", () => {
  it("after a transaction that commits, its connection has no claims and the runtime role", async () => {
    const a = await orgWithMembers("ScopeCommit");
    let inside: Inside | undefined;
    await withTenant(a.member.claims, async (tx) => {
      [inside] = await tx.query<Inside>(INSIDE);
      await tx.query("insert into public.projects (org_id, name, created_by) values ($1, 'kept', $2)", [a.org.id, a.member.userId]);
    });
    await expectBackToRuntime(inside, a.org.id);
  });

  it("after a transaction that rolls back", async () => {
    const a = await orgWithMembers("ScopeRollback");
    let inside: Inside | undefined;
    const rollback = new Rollback();
    await expect(
      withTenant(a.member.claims, async (tx) => {
        [inside] = await tx.query<Inside>(INSIDE);
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    await expectBackToRuntime(inside, a.org.id);
  });

  it("after a statement fails (the database aborts the transaction)", async () => {
    const a = await orgWithMembers("ScopeFailed");
    let inside: Inside | undefined;
    await expect(
      withTenant(a.member.claims, async (tx) => {
        [inside] = await tx.query<Inside>(INSIDE);
        return tx.query("select 1 / 0");
      }),
    ).rejects.toMatchObject({ code: "22012" });
    await expectBackToRuntime(inside, a.org.id);
  });

  it("after a single-statement read, whose COMMIT travels with it", async () => {
    const a = await orgWithMembers("ScopeSingle");
    // Twice: on PostgreSQL the second goes out as one message (EXECUTE of the statement prepared by the first).
    for (let i = 0; i < 2; i++) {
      const [inside] = await withTenant(a.member.claims, (tx) => tx.query<Inside>(INSIDE), { singleStatement: true });
      await expectBackToRuntime(inside, a.org.id);
    }
  });

  it("after an API key's transaction, with its check", async () => {
    const a = await orgWithMembers("ScopeKey");
    const key = await newKey(a.admin);
    const resolved = await resolveApiKey(`Bearer ${key.plaintext}`, "203.0.113.7");
    const [inside] = await withApiKeyTenant(resolved, (tx) => tx.query<Inside>(INSIDE));
    await expectBackToRuntime(inside, a.org.id);
  });
});
