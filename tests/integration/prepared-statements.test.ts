import { afterAll, describe, expect, it } from "vitest";
import { ANONYMOUS_PREAMBLE, closeDb, DatabaseUnavailableError, ownerDb, tenantPreamble, withTenant, type TenantClaims } from "@/lib/db";
import { openPostgres, preparedStatementsByDefault, type Engine } from "@/lib/db/engine";
import { insertProject } from "@/lib/projects/store";
import { hashApiKey, resolveApiKey, revokeApiKey } from "@/lib/api-keys";
import { orgWithMembers, request, uid } from "../helpers/tenants";
import { newKey } from "../helpers/api";

/**
 * On PostgreSQL every statement a transaction runs is a named (server-side prepared) statement: each connection
 * parses, rewrites (RLS policies included) and plans it once (lib/db/engine.ts). What must still hold (TEN-1, TEN-2):
 * a statement prepared under one tenant's claims, reused on the same connection under another's, sees only the
 * other's rows, because the policies read the claims when the statement executes, not when it is planned; and a role
 * without access stays refused. These tests pin one connection (a pool of one) so the reuse is certain.
 */
const url = process.env.DATABASE_URL;
const engines: Engine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.close()));
  await closeDb();
});

const oneConnection = (preparedStatements = true) => {
  const engine = openPostgres(url!, 1, { preparedStatements });
  engines.push(engine);
  return engine;
};

// lib/db's own preambles (what withTenant and withAnonymous send: claims, role, time limit, a bound key check), here
// on a pinned connection.
const asTenant = tenantPreamble;
const AS_ANON = ANONYMOUS_PREAMBLE;

const PAGE = "select name from public.projects order by name limit $1";
const preparedOnThisConnection = (engine: Engine, text: string) =>
  engine.transaction((tx) => tx.query<{ name: string }>("select name from pg_catalog.pg_prepared_statements where statement = $1", [text]));

describe.skipIf(!url)("prepared statements on PostgreSQL", () => {
  it("prepare each distinct statement once per connection, under a generated name", async () => {
    const a = await orgWithMembers("Acme");
    const engine = oneConnection();
    for (let i = 0; i < 3; i++) await engine.transaction((tx) => tx.query(PAGE, [5]), asTenant(a.member.claims), { singleStatement: true });
    const prepared = await preparedOnThisConnection(engine, PAGE);
    expect(prepared).toHaveLength(1);
    expect(prepared[0]!.name).toMatch(/^tg_\d+$/);
  });

  it("prepare nothing when switched off (DB_PREPARED_STATEMENTS=false, for poolers that cannot keep them)", async () => {
    const a = await orgWithMembers("Acme");
    const engine = oneConnection(false);
    await engine.transaction((tx) => tx.query(PAGE, [5]), asTenant(a.member.claims));
    expect(await preparedOnThisConnection(engine, PAGE)).toEqual([]);
  });

  it("reused across tenants on one connection, see only the current tenant's rows (RLS reads the claims per execution)", async () => {
    const a = await orgWithMembers("Acme");
    const b = await orgWithMembers("Globex");
    await withTenant(a.member.claims, (tx) => insertProject(tx, { orgId: a.org.id, name: "Alpha", createdBy: a.member.userId }));
    await withTenant(b.member.claims, async (tx) => {
      await insertProject(tx, { orgId: b.org.id, name: "Beta", createdBy: b.member.userId });
      await insertProject(tx, { orgId: b.org.id, name: "Bravo", createdBy: b.member.userId });
    });
    const engine = oneConnection();
    const page = (claims: TenantClaims) => engine.transaction((tx) => tx.query<{ name: string }>(PAGE, [10]), asTenant(claims), { singleStatement: true });
    // More than five executions each, so PostgreSQL may also switch to a generic plan: it must not matter.
    for (let i = 0; i < 7; i++) {
      expect((await page(a.member.claims)).map((p) => p.name)).toEqual(["Alpha"]);
      expect((await page(b.member.claims)).map((p) => p.name)).toEqual(["Beta", "Bravo"]);
    }
    expect(await preparedOnThisConnection(engine, PAGE)).toHaveLength(1);
    // The same prepared statement as `anon`, which has no access to projects: still refused.
    await expect(engine.transaction((tx) => tx.query(PAGE, [10]), AS_ANON)).rejects.toMatchObject({ code: "42501" });
    expect((await page(a.member.claims)).map((p) => p.name)).toEqual(["Alpha"]);
  });

  it("behind a pooler that swaps server sessions (26000), answer 503 once, then stop naming statements", async () => {
    const a = await orgWithMembers("Acme");
    const engine = oneConnection();
    const page = () => engine.transaction((tx) => tx.query(PAGE, [5]), asTenant(a.member.claims), { singleStatement: true });
    await page();
    // What a transaction-mode pooler does: the next transaction lands on a server session without the statement.
    await engine.transaction((tx) => tx.exec("deallocate all"));
    await expect(page()).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await page();
    await page();
    expect(await preparedOnThisConnection(engine, PAGE)).toEqual([]);
  });

  it("after a migration changes a prepared statement's result, discard that connection once, then work again", async () => {
    const schema = `prep_${uid()}`;
    const owner = await ownerDb();
    await owner.exec(`create schema ${schema}; create table ${schema}.t (v int); insert into ${schema}.t values (1);
      grant usage on schema ${schema} to authenticated; grant select on ${schema}.t to authenticated;`);
    try {
      const a = await orgWithMembers("Acme");
      const engine = oneConnection();
      const read = () => engine.transaction((tx) => tx.query<{ v: unknown }>(`select * from ${schema}.t`), asTenant(a.member.claims));
      expect(await read()).toEqual([{ v: 1 }]);
      await owner.exec(`alter table ${schema}.t alter column v type text`);
      // The prepared statement now fails with 0A000 on this connection: the request fails as "unavailable" once...
      await expect(read()).rejects.toBeInstanceOf(DatabaseUnavailableError);
      // ...and the connection is gone, so the next transaction prepares the statement afresh.
      expect(await read()).toEqual([{ v: "1" }]);
    } finally {
      await owner.exec(`drop schema ${schema} cascade`);
    }
  });
});

/**
 * A single-statement read once the connection has prepared it: BEGIN READ ONLY and the preamble (one simple-protocol
 * message), then Bind/Execute of the prepared statement and COMMIT, pipelined in one write (lib/db/engine.ts). The
 * parameters travel as parameters, never inside SQL text.
 */
describe.skipIf(!url)("prepared single-statement transactions", () => {
  const single = (engine: Engine, preamble: readonly string[], sql: string, params: unknown[]) =>
    engine.transaction((tx) => tx.query(sql, params), preamble, { singleStatement: true });

  it("run the prepared statement itself, with its parameters as parameters, once the connection has prepared it", async () => {
    const a = await orgWithMembers("Acme");
    const engine = oneConnection();
    const text = "select current_query() as q, $1::text as v";
    const [first] = await single(engine, asTenant(a.member.claims), text, ["x"]);
    expect(first).toEqual({ q: text, v: "x" });
    const [second] = (await single(engine, asTenant(a.member.claims), text, ["it's'); commit; --"])) as { q: string; v: string }[];
    expect(second).toEqual({ q: text, v: "it's'); commit; --" });
    expect(await preparedOnThisConnection(engine, text)).toHaveLength(1);
  });

  it("a failed statement leaves the connection clean: no open transaction, no claims", async () => {
    const a = await orgWithMembers("Acme");
    const engine = oneConnection();
    const text = "select 1 / $1::int as v";
    expect(await single(engine, asTenant(a.member.claims), text, [1])).toEqual([{ v: 1 }]);
    // The preamble ran (its rows reach the caller, as for an API key's confirmation) although the statement failed.
    let preambleRows: Promise<unknown> | undefined;
    await expect(
      engine.transaction((tx, rows) => ((preambleRows = rows), tx.query(text, [0])), asTenant(a.member.claims), { singleStatement: true }),
    ).rejects.toMatchObject({ code: "22012" });
    expect(await preambleRows).toEqual([expect.objectContaining({ role: "authenticated" })]);
    const [row] = await engine.transaction((tx) =>
      tx.query<{ ro: string; claims: string | null }>("select current_setting('transaction_read_only') as ro, nullif(current_setting('request.jwt.claims', true), '') as claims"),
    );
    expect(row).toEqual({ ro: "off", claims: null });
    expect(await single(engine, asTenant(a.member.claims), text, [1])).toEqual([{ v: 1 }]);
  });

  it("the preamble's statement time limit covers the prepared statement pipelined behind it (VAL-2)", async () => {
    const a = await orgWithMembers("Acme");
    const engine = oneConnection();
    const preamble = [...asTenant(a.member.claims), "select set_config('statement_timeout', '100ms', true)"];
    const text = "select pg_sleep($1::float8) is null as slept";
    await single(engine, preamble, text, [0]);
    await expect(single(engine, preamble, text, [1.5])).rejects.toMatchObject({ code: "57014" });
  });

  it("a failed preamble stops the transaction: the statement never runs, the preamble's error is the answer", async () => {
    const a = await orgWithMembers("Acme");
    const engine = oneConnection();
    // If the statement ran with 'x' it would fail with 22P02; the preamble's 22012 comes first and aborts the rest.
    const text = "select $1::int as v";
    await single(engine, asTenant(a.member.claims), text, [1]);
    await expect(single(engine, [...asTenant(a.member.claims), "select 1 / 0"], text, ["x"])).rejects.toMatchObject({ code: "22012" });
    expect(await single(engine, asTenant(a.member.claims), text, [2])).toEqual([{ v: 2 }]);
  });

  it("still confirm the API key: a key revoked after the connection prepared the read is refused before it runs (28000)", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    const resolved = await resolveApiKey(`Bearer ${key.plaintext}`, "203.0.113.7");
    // The key's check, bound to its claims by verification, is part of the preamble.
    const preamble = tenantPreamble(resolved.claims);
    expect(preamble.at(-1)).toBe(`select private.assert_api_key_current('${hashApiKey(key.plaintext)}') as secret`);
    const engine = oneConnection();
    let preambleRows: unknown;
    const read = () => engine.transaction((tx, rows) => ((preambleRows = rows), tx.query(PAGE, [5])), preamble, { singleStatement: true });
    await read();
    expect(await read()).toEqual([]);
    expect(await preambleRows).toEqual([{ secret: "current" }]);
    expect((await revokeApiKey(a.admin, { id: key.id }, request())).ok).toBe(true);
    await expect(read()).rejects.toMatchObject({ code: "28000" });
  });
});

describe("prepared statements by default", () => {
  it("are on, except where the connection string points at a transaction-mode pooler", () => {
    expect(preparedStatementsByDefault("postgres://app_runtime@127.0.0.1:5432/app")).toBe(true);
    expect(preparedStatementsByDefault("postgres://authenticator.ref:pw@aws-0-eu-west-1.pooler.supabase.com:5432/postgres")).toBe(true);
    expect(preparedStatementsByDefault("postgres://authenticator.ref:pw@aws-0-eu-west-1.pooler.supabase.com:6543/postgres")).toBe(false);
    expect(preparedStatementsByDefault("postgres://u@db.internal:6432/app?pgbouncer=true")).toBe(false);
  });
});
