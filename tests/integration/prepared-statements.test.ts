import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
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
 * Once a connection has prepared a single-statement read, the whole transaction goes out as ONE simple-protocol
 * message: BEGIN READ ONLY; the preamble; EXECUTE name(literals); COMMIT (lib/db/engine.ts). The literals are pg's
 * own serialisation of the parameters, quoted by pg's escapeLiteral: whatever a value holds, it arrives as that value,
 * exactly as a parameter would, and can never become SQL.
 */
describe.skipIf(!url)("single-statement transactions as one message", () => {
  const single = (engine: Engine, preamble: readonly string[], sql: string, params: unknown[]) =>
    engine.transaction((tx) => tx.query(sql, params), preamble, { singleStatement: true });

  it("travel as one message once the connection has prepared the statement", async () => {
    const a = await orgWithMembers("Acme");
    const engine = oneConnection();
    const text = "select current_query() as q, $1::text as v";
    const [first] = await single(engine, asTenant(a.member.claims), text, ["x"]);
    expect(first).toEqual({ q: text, v: "x" });
    const [second] = (await single(engine, asTenant(a.member.claims), text, ["it's"])) as { q: string; v: string }[];
    expect(second!.v).toBe("it's");
    expect(second!.q).toMatch(/^begin read only; select set_config\('request\.jwt\.claims', .*; execute tg_\d+\('it''s'\); commit$/s);
  });

  it("pass every value exactly as a parameter would (property test against the unnamed extended protocol)", async () => {
    const a = await orgWithMembers("Acme");
    const warm = oneConnection();
    const plain = oneConnection(false);
    const value = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 40 }),
      fc.string({ unit: fc.constantFrom("'", "\\", "$", ";", "-", "/", "*", "E", "x", "\n", ")", "(", '"'), maxLength: 30 }),
      fc.constantFrom("'); select pg_sleep(1); --", "\\'; commit; begin; --", "$$ ; $$", "E'\\x00'", "\\0", "null", "NULL"),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      fc.date({ min: new Date("1900-01-01"), max: new Date("2200-01-01"), noInvalidDate: true }),
      fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }),
    );
    const text = "select $1::text as v, pg_typeof($1::text)::text as t";
    await single(warm, asTenant(a.member.claims), text, ["warm-up"]);
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        const outcome = (engine: Engine) => single(engine, asTenant(a.member.claims), text, [v]).then((rows) => rows, (error: { code?: string }) => ({ code: error.code }));
        expect(await outcome(warm)).toEqual(await outcome(plain));
      }),
      { numRuns: 300 },
    );
    // The warm connection really took the one-message path.
    const [row] = (await single(warm, asTenant(a.member.claims), "select current_query() as q, $1::text as v", ["y"])) as { q: string }[];
    const [again] = (await single(warm, asTenant(a.member.claims), "select current_query() as q, $1::text as v", ["y"])) as { q: string }[];
    expect(row!.q).not.toMatch(/execute/);
    expect(again!.q).toMatch(/execute tg_\d+\('y'\)/);
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

  it("the preamble's statement time limit covers the EXECUTE in the same message (VAL-2)", async () => {
    const a = await orgWithMembers("Acme");
    const engine = oneConnection();
    const preamble = [...asTenant(a.member.claims), "select set_config('statement_timeout', '100ms', true)"];
    const text = "select pg_sleep($1::float8) is null as slept";
    await single(engine, preamble, text, [0]);
    await expect(single(engine, preamble, text, [1.5])).rejects.toMatchObject({ code: "57014" });
  });

  it("a failed preamble stops the message: the statement never runs, the preamble's error is the answer", async () => {
    const a = await orgWithMembers("Acme");
    const engine = oneConnection();
    // If the statement ran with 'x' it would fail with 22P02; the preamble's 22012 comes first and stops the rest.
    const text = "select $1::int as v";
    await single(engine, asTenant(a.member.claims), text, [1]);
    await expect(single(engine, [...asTenant(a.member.claims), "select 1 / 0"], text, ["x"])).rejects.toMatchObject({ code: "22012" });
    expect(await single(engine, asTenant(a.member.claims), text, [2])).toEqual([{ v: 2 }]);
  });

  it("still confirm the API key: a key revoked after the connection prepared the read is refused in the message (28000)", async () => {
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
