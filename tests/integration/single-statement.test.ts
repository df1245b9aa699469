import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, SingleStatementError, withTenant } from "@/lib/db";
import { insertProject, listProjects } from "@/lib/projects/store";
import { InvalidApiKeyError, revokeApiKey, resolveApiKey, withApiKeyTenant } from "@/lib/api-keys";
import { orgWithMembers, request } from "../helpers/tenants";
import { callApi, newKey } from "../helpers/api";
import { withApiKey } from "@/lib/api/handler";

afterAll(closeDb);

/**
 * TEN-2 / KEY-2: a read of one statement may declare it (`singleStatement`). On PostgreSQL its transaction is then
 * one round trip: BEGIN READ ONLY, the claims, the key check, the statement and COMMIT in one write. The
 * declaration is enforced on every engine, so it can only make the transaction stricter: no second statement, no
 * write, and everything else (RLS, the key check) exactly as in any tenant transaction.
 */

const count = async (orgId: string) =>
  (await (await ownerDb()).query<{ n: number }>("select count(*)::int as n from public.projects where org_id = $1", [orgId]))[0]!.n;

describe("single-statement tenant transactions", () => {
  it("answer the one statement under the caller's claims and RLS", async () => {
    const a = await orgWithMembers("Acme");
    const b = await orgWithMembers("Globex");
    await withTenant(a.member.claims, (tx) => insertProject(tx, { orgId: a.org.id, name: "Alpha", createdBy: a.member.userId }));
    await withTenant(b.member.claims, (tx) => insertProject(tx, { orgId: b.org.id, name: "Beta", createdBy: b.member.userId }));
    const seen = await withTenant(a.member.claims, (tx) => listProjects(tx), { singleStatement: true });
    expect(seen.map((p) => p.name)).toEqual(["Alpha"]);
  });

  it("refuse a second statement, which never runs", async () => {
    const a = await orgWithMembers("Acme");
    let first: unknown;
    await expect(
      withTenant(
        a.member.claims,
        async (tx) => {
          first = await tx.query("select 1 as one");
          return insertProject(tx, { orgId: a.org.id, name: "second statement", createdBy: a.member.userId });
        },
        { singleStatement: true },
      ),
    ).rejects.toBeInstanceOf(SingleStatementError);
    expect(first).toEqual([{ one: 1 }]);
    expect(await count(a.org.id)).toBe(0);
  });

  it("are read only: a write as the one statement fails with 25006 and changes nothing", async () => {
    const a = await orgWithMembers("Acme");
    await expect(
      withTenant(a.member.claims, (tx) => insertProject(tx, { orgId: a.org.id, name: "write", createdBy: a.member.userId }), { singleStatement: true }),
    ).rejects.toMatchObject({ code: "25006" });
    expect(await count(a.org.id)).toBe(0);
  });

  it("leave the connection clean after a failed statement: later transactions run normally", async () => {
    const a = await orgWithMembers("Acme");
    await expect(withTenant(a.member.claims, (tx) => tx.query("select 1 / 0"), { singleStatement: true })).rejects.toMatchObject({ code: "22012" });
    // Enough transactions to reuse every pooled connection: each starts clean (no open transaction, no claims).
    for (let i = 0; i < 12; i++) {
      const [row] = await withTenant(a.member.claims, (tx) => tx.query<{ org: string; ro: string }>("select private.org_id() as org, current_setting('transaction_read_only') as ro"));
      expect(row).toEqual({ org: a.org.id, ro: "off" });
    }
    await withTenant(a.member.claims, (tx) => insertProject(tx, { orgId: a.org.id, name: "after", createdBy: a.member.userId }));
    expect(await count(a.org.id)).toBe(1);
  });

  it("still confirm the API key: a revoked key's pipelined statement answers the refusal, never rows", async () => {
    const a = await orgWithMembers("Acme");
    await withTenant(a.member.claims, (tx) => insertProject(tx, { orgId: a.org.id, name: "Alpha", createdBy: a.member.userId }));
    const key = await newKey(a.admin);
    const resolved = await resolveApiKey(`Bearer ${key.plaintext}`, "203.0.113.7");
    const read = () => withApiKeyTenant(resolved, (tx) => listProjects(tx), { pipelined: true, singleStatement: true });
    expect((await read()).map((p) => p.name)).toEqual(["Alpha"]);
    expect((await revokeApiKey(a.admin, { id: key.id }, request())).ok).toBe(true);
    await expect(read()).rejects.toBeInstanceOf(InvalidApiKeyError);
  });

  it("serve the partner API's single-statement reads, and only declared reads", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin, { permissions: "read_write" });
    const created = await callApi("post", "/api/v1/projects", { key: key.plaintext, body: { name: "Via API" } });
    expect(created.status).toBe(201);
    const id = (created.json as { id: string }).id;
    const list = await callApi("get", "/api/v1/projects", { key: key.plaintext });
    expect(list.status).toBe(200);
    expect((list.json as { data: { id: string }[] }).data.map((p) => p.id)).toEqual([id]);
    const one = await callApi("get", `/api/v1/projects/${id}`, { key: key.plaintext });
    expect(one.status).toBe(200);
    expect(() => withApiKey(async () => ({ status: 200, body: null }), { permission: "write", singleStatement: true })).toThrow(/read routes only/);
  });
});
