import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, TransactionRolledBackError, withTenant } from "@/lib/db";
import { orgWithMembers, uid } from "../helpers/tenants";

afterAll(closeDb);

// TEN-2: a statement that fails aborts the whole transaction (PostgreSQL semantics). A caller that catches the error
// and carries on must not be told that what it wrote before was committed: on both engines the transaction rejects
// with 25P02 and nothing it wrote exists. (PostgreSQL itself answers such a COMMIT with ROLLBACK and no error.)
describe("a transaction whose caller swallowed a failed statement", () => {
  it("rejects with 25P02 and leaves nothing written, on every engine", async () => {
    const { org, member } = await orgWithMembers("Acme");
    const name = `lost-${uid()}`;
    const outcome = withTenant(member.claims, async (tx) => {
      await tx.query("insert into public.projects (org_id, name, created_by) values ($1, $2, $3)", [org.id, name, member.userId]);
      await tx.query("select 1 / 0").catch(() => undefined);
      return "reported as done";
    });
    await expect(outcome).rejects.toSatisfy((error: unknown) => (error as { code?: string }).code === "25P02");
    const rows = await (await ownerDb()).query("select 1 from public.projects where org_id = $1 and name = $2", [org.id, name]);
    expect(rows).toEqual([]);
  });

  it("a transaction whose statements all succeeded still commits", async () => {
    const { org, member } = await orgWithMembers("Acme");
    const name = `kept-${uid()}`;
    await withTenant(member.claims, (tx) => tx.query("insert into public.projects (org_id, name, created_by) values ($1, $2, $3)", [org.id, name, member.userId]));
    const rows = await (await ownerDb()).query("select 1 from public.projects where org_id = $1 and name = $2", [org.id, name]);
    expect(rows).toHaveLength(1);
    expect(new TransactionRolledBackError().code).toBe("25P02");
  });
});
