import { afterAll, describe, expect, it } from "vitest";

// One pooled connection on PostgreSQL, so "after the transaction" is the same connection (PGlite is one session).
process.env.DB_POOL_MAX = "1";

const { closeDb, runtimeSession, withAnonymous, withTenant } = await import("@/lib/db");
const { orgWithMembers } = await import("../helpers/tenants");

afterAll(closeDb);

describe("request transactions have a time limit (VAL-2)", () => {
  it("sets statement_timeout for the transaction only", async () => {
    const before = (await runtimeSession()).statementTimeout;
    expect(before).not.toBe("10s");
    const [row] = await withAnonymous((tx) => tx.query<{ timeout: string; pid: number }>("select current_setting('statement_timeout') as timeout, pg_catalog.pg_backend_pid() as pid"));
    expect(row!.timeout).toBe("10s");
    expect(await runtimeSession()).toMatchObject({ statementTimeout: before, backendPid: row!.pid });
  });

  it("PostgreSQL cancels a statement past the limit (57014) and rolls the transaction back; PGlite has no timer to cancel it with", async () => {
    const a = await orgWithMembers("Timeout");
    const attempt = withTenant(a.member.claims, async (tx) => {
      await tx.query("insert into public.projects (org_id, name, created_by) values ($1, 'slow', $2)", [a.org.id, a.member.userId]);
      await tx.query("select set_config('statement_timeout', '50ms', true)");
      return tx.query("select pg_sleep(0.5)");
    });
    const projects = () => withTenant(a.member.claims, (tx) => tx.query<{ name: string }>("select name from public.projects"));
    if (process.env.DATABASE_URL) {
      await expect(attempt).rejects.toMatchObject({ code: "57014" });
      expect(await projects()).toEqual([]);
    } else {
      // The embedded engine (single-threaded WebAssembly) never interrupts a running statement: the limit is
      // PostgreSQL's protection only, like the non-superuser login (see /health/status).
      await expect(attempt).resolves.toEqual([{ pg_sleep: "" }]);
      expect(await projects()).toEqual([{ name: "slow" }]);
    }
  });
});
