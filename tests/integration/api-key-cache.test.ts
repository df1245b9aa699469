import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withAnonymous, withKeyLogWriter, withTenant, type Queryable } from "@/lib/db";
import { insertProject } from "@/lib/projects/store";
import { markVerified, markVerifiedApiKey, type ApiKeyClaims } from "@/lib/auth/claims";
import {
  deleteApiKey,
  flushKeyUses,
  hashApiKey,
  InvalidApiKeyError,
  isApiKeyCached,
  listRecentVerifications,
  revokeApiKey,
  rollApiKey,
  resolveApiKey,
  withApiKeyTenant,
} from "@/lib/api-keys";
import { handleGraphQL } from "@/lib/graphql/server";
import { orgWithMembers, request } from "../helpers/tenants";
import { callApi, newKey } from "../helpers/api";
import { awayFromWindowEdge } from "../helpers/rate-limit-window";

afterAll(closeDb);

/**
 * KEY-2: verified keys are cached per process (what never changes about them), and the database confirms in every
 * tenant transaction that the key is still current. These tests warm the cache first, change the key behind the
 * cache's back (as another instance, or an operator, would), and expect the very next request to be refused.
 */

const owner = async () => ownerDb();
const UNKNOWN = "tg_test_" + "A".repeat(43);
const withoutRequestId = (text: string) => text.replace(/"requestId":"[^"]+"/, "");

async function log(keyId: string) {
  await flushKeyUses();
  return (await owner()).query<{ outcome: string; reason: string | null; ip: string | null; repeats: number }>(
    "select outcome, reason, ip, repeats from public.key_verifications where key_id = $1 order by id",
    [keyId],
  );
}

async function warm(plaintext: string) {
  expect((await callApi("get", "/api/v1/projects", { key: plaintext })).status).toBe(200);
  expect(isApiKeyCached(plaintext)).toBe(true);
}

describe("KEY-2: a cached key is refused on the very next request", () => {
  it("after revoke, expiry, delete or the end of a roll's grace, through REST, with the one 401 body", async () => {
    const a = await orgWithMembers("Acme");
    const expected401 = withoutRequestId((await callApi("get", "/api/v1/projects", { key: UNKNOWN })).text);

    const revoked = await newKey(a.admin);
    await warm(revoked.plaintext);
    expect((await revokeApiKey(a.admin, { id: revoked.id }, request())).ok).toBe(true);

    const expired = await newKey(a.admin);
    await warm(expired.plaintext);
    await (await owner()).query("update public.api_keys set expires_at = now() - interval '1 second' where id = $1", [expired.id]);

    const deleted = await newKey(a.admin);
    await warm(deleted.plaintext);
    expect((await deleteApiKey(a.admin, { id: deleted.id }, request())).ok).toBe(true);

    const rolled = await newKey(a.admin);
    await warm(rolled.plaintext);
    const roll = await rollApiKey(a.admin, { id: rolled.id, graceSeconds: 3600 }, request());
    if (!roll.ok) throw new Error(roll.message);
    // During the grace the old secret still works (and is logged as the previous one, although cached as current).
    expect((await callApi("get", "/api/v1/projects", { key: rolled.plaintext })).status).toBe(200);
    await (await owner()).query("update public.api_keys set previous_expires_at = now() - interval '1 second' where id = $1", [rolled.id]);

    for (const [what, plaintext] of [
      ["revoked", revoked.plaintext],
      ["expired", expired.plaintext],
      ["deleted", deleted.plaintext],
      ["old secret after grace", rolled.plaintext],
    ] as const) {
      const res = await callApi("get", "/api/v1/projects", { key: plaintext });
      expect(res.status, what).toBe(401);
      expect(withoutRequestId(res.text), what).toBe(expected401);
      expect(res.headers.get("www-authenticate"), what).toBe('Bearer realm="api"');
      // Refused once, the key is no longer cached: the next attempt asks the database again.
      expect(isApiKeyCached(plaintext), what).toBe(false);
    }
    expect((await callApi("get", "/api/v1/projects", { key: roll.data.plaintext })).status).toBe(200);

    expect((await log(revoked.id)).map((e) => `${e.outcome}:${e.reason}`)).toEqual(["success:null", "failure:revoked"]);
    expect((await log(expired.id)).map((e) => `${e.outcome}:${e.reason}`)).toEqual(["success:null", "failure:expired"]);
    expect(await log(deleted.id)).toEqual([]);
    expect((await log(rolled.id)).map((e) => `${e.outcome}:${e.reason}`)).toEqual([
      "success:null",
      "success:previous_key",
      "failure:previous_key_expired",
      "success:null",
    ]);
  });

  it("a key whose permissions were narrowed behind the app is refused once (fail closed), then works as narrowed", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin, { permissions: "read_write" });
    await warm(key.plaintext);
    // Not possible through the app (the grants fix permissions at creation); an operator could do it in SQL.
    await (await owner()).query("update public.api_keys set permissions = array['read'] where id = $1", [key.id]);
    expect((await callApi("get", "/api/v1/projects", { key: key.plaintext })).status).toBe(401);
    expect((await callApi("get", "/api/v1/projects", { key: key.plaintext })).status).toBe(200);
    expect((await callApi("post", "/api/v1/projects", { key: key.plaintext, body: { name: "Nope" } })).status).toBe(403);
    expect((await log(key.id)).map((e) => `${e.outcome}:${e.reason}`)).toEqual(["success:null", "failure:key_changed", "success:null"]);
  });

  it("a write with a cached key revoked meanwhile changes nothing", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    await warm(key.plaintext);
    await revokeApiKey(a.admin, { id: key.id }, request());
    const res = await callApi("post", "/api/v1/projects", { key: key.plaintext, body: { name: "After revoke" } });
    expect(res.status).toBe(401);
    const rows = await (await owner()).query("select id from public.projects where org_id = $1 and name = 'After revoke'", [a.org.id]);
    expect(rows).toEqual([]);
  });

  it("through GraphQL too", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin, { permissions: "read" });
    const gql = (k: string) =>
      handleGraphQL(
        new Request("http://localhost:3000/api/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.21", authorization: `Bearer ${k}` },
          body: JSON.stringify({ query: "{ projects(first: 1) { nodes { id } } }" }),
        }),
      );
    expect((await gql(key.plaintext)).status).toBe(200);
    expect(isApiKeyCached(key.plaintext)).toBe(true);
    await revokeApiKey(a.admin, { id: key.id }, request());
    const res = await gql(key.plaintext);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "unauthenticated" });
  });
});

describe("KEY-2 / TEN-6: the database accepts key claims only for the key the presented secret opens", () => {
  it("refuses claims without the presented hash, forged permissions, scope or org, and another key's secret", async () => {
    const a = await orgWithMembers("Acme");
    const b = await orgWithMembers("Globex");
    const readKey = await newKey(a.admin, { permissions: "read" });
    const otherKey = await newKey(a.admin, { permissions: "read_write" });
    const foreignKey = await newKey(b.admin, { permissions: "read_write" });
    const resolved = await resolveApiKey(`Bearer ${readKey.plaintext}`, "203.0.113.7");
    const genuine = resolved.claims as unknown as ApiKeyClaims;
    const hash = hashApiKey(readKey.plaintext);
    const run = (claims: ReturnType<typeof markVerified>) => withTenant(claims, (tx) => tx.query("select id from public.projects"));

    // The genuine claims pass (control for the refusals below).
    await expect(run(resolved.claims)).resolves.toEqual([]);
    // Key claims that did not come from verification (no presented hash): refused before the database.
    await expect(run(markVerified({ ...genuine }))).rejects.toThrow(/presented key's hash/);

    const forged: [string, ApiKeyClaims, string][] = [
      ["write added to a read-only key", { ...genuine, key: { ...genuine.key, permissions: ["read", "write"] } }, hash],
      ["narrowed to a project it was not scoped to", { ...genuine, key: { ...genuine.key, project_id: "00000000-0000-4000-8000-000000000000" } }, hash],
      ["another org", { ...genuine, o: { id: b.org.id, rol: "api" } }, hash],
      ["another key's id with this secret", { ...genuine, sub: `key_${otherKey.id}`, key: { ...genuine.key, id: otherKey.id } }, hash],
      ["this key's claims with another key's secret", genuine, hashApiKey(otherKey.plaintext)],
      ["a foreign key's claims with its id but this secret", { sub: `key_${foreignKey.id}`, o: { id: b.org.id, rol: "api" }, key: { id: foreignKey.id, project_id: null, permissions: ["read", "write"] } }, hash],
      ["sub not matching the key id", { ...genuine, sub: `key_${otherKey.id}` }, hash],
      ["permissions that are not an array", { ...genuine, key: { ...genuine.key, permissions: "read" as unknown as string[] } }, hash],
      ["permissions nested in an array", { ...genuine, key: { ...genuine.key, permissions: [["read"]] as unknown as string[] } }, hash],
      ["another org in the v1 org_id claim", { sub: genuine.sub, org_id: b.org.id, key: genuine.key } as unknown as ApiKeyClaims, hash],
    ];
    for (const [what, claims, presented] of forged) {
      await expect(run(markVerifiedApiKey(structuredClone(claims), presented)), what).rejects.toMatchObject({ code: "28000" });
    }
  });
});

describe("KEY-2: statements pipelined behind the key check never run for a refused key", () => {
  // On PostgreSQL the first statement of a transaction travels in the same write as BEGIN, the claims and the key
  // check (lib/db/engine.ts). A refused key must still change nothing, answer no row, and fail with 28000.
  it("a write sent with a revoked key's claims is not applied, and fn sees the refusal, not rows or 25P02", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin, { permissions: "read_write" });
    const resolved = await resolveApiKey(`Bearer ${key.plaintext}`, "203.0.113.7");
    const insert = (tx: Queryable, name: string) => insertProject(tx, { orgId: a.org.id, name, createdBy: `key_${key.id}` });
    const count = async () => (await (await owner()).query<{ n: number }>("select count(*)::int as n from public.projects where org_id = $1", [a.org.id]))[0]!.n;

    // Control: while the key is current, the same pipelined write is applied.
    await withApiKeyTenant(resolved, (tx) => insert(tx, "while current"), { pipelined: true });
    expect(await count()).toBe(1);

    expect((await revokeApiKey(a.admin, { id: key.id }, request())).ok).toBe(true);
    let seenByFn: unknown = "nothing";
    await expect(
      withTenant(resolved.claims, async (tx) => {
        try {
          return await insert(tx, "after revoke");
        } catch (error) {
          seenByFn = error;
          throw error;
        }
      }),
    ).rejects.toMatchObject({ code: "28000" });
    // PostgreSQL pipelines (fn runs, and its statement answers with the refusal); PGlite runs fn only after the check.
    const pipelines = (await owner()).kind === "postgres";
    expect(seenByFn).toEqual(pipelines ? expect.objectContaining({ code: "28000" }) : "nothing");
    // fn swallowing the refusal does not commit anything either.
    await expect(withTenant(resolved.claims, (tx) => insert(tx, "swallowed").catch(() => null))).rejects.toMatchObject({ code: "28000" });
    await expect(withApiKeyTenant(resolved, (tx) => insert(tx, "via the key path"), { pipelined: true })).rejects.toBeInstanceOf(InvalidApiKeyError);
    expect(await count()).toBe(1);
  });
});

describe("KEY-2: last use and the log are written in batches, not per request", () => {
  it("every request of a burst is logged in order with its IP, and last_used_at is set, once flushed", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    await flushKeyUses();
    const ips = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "2001:db8::7"];
    for (const ip of ips) expect((await callApi("get", "/api/v1/projects", { key: key.plaintext, ip })).status).toBe(200);
    expect(await log(key.id)).toEqual(ips.map((ip) => ({ outcome: "success", reason: null, ip, repeats: 1 })));
    const [row] = await (await owner()).query<{ last_used_at: Date | null }>("select last_used_at from public.api_keys where id = $1", [key.id]);
    expect(row!.last_used_at).not.toBeNull();
  });

  it("only key_log_writer may write the log: anon and authenticated cannot forge entries, and it reads nothing", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    const forged = JSON.stringify([{ key_id: key.id, at: new Date().toISOString(), outcome: "success", reason: null, ip: "192.0.2.66", repeats: 1 }]);
    const write = (tx: Queryable) => tx.query("select private.record_key_uses($1::jsonb, $2::uuid[])", [forged, []]);
    await expect(withAnonymous(write)).rejects.toMatchObject({ code: "42501" });
    await expect(withTenant(a.admin.claims, write)).rejects.toMatchObject({ code: "42501" });
    expect(await log(key.id)).toEqual([]);
    // The role the app writes the log with can do that and nothing else.
    await expect(withKeyLogWriter((tx) => tx.query("select id from public.api_keys limit 1"))).rejects.toMatchObject({ code: "42501" });
    await withKeyLogWriter(write);
    expect(await log(key.id)).toEqual([{ outcome: "success", reason: null, ip: "192.0.2.66", repeats: 1 }]);
  });

  it("requests a key's limits refused (429) are in its log as rate_limited, a run of them as one entry", async () => {
    await awayFromWindowEdge(60_000, 20_000); // an exact count in one-minute windows
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin, { permissions: "read" });
    // GraphQL is in the `expensive` class: 30 requests a minute per key (RL-1).
    const call = async () =>
      (
        await handleGraphQL(
          new Request("http://localhost:3000/api/graphql", {
            method: "POST",
            headers: { "content-type": "application/json", "x-forwarded-for": "198.51.100.9", authorization: `Bearer ${key.plaintext}` },
            body: JSON.stringify({ query: "{ __typename }" }),
          }),
        )
      ).status;
    const statuses: number[] = [];
    for (let i = 0; i < 33; i++) statuses.push(await call());
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    expect(statuses.slice(30)).toEqual([429, 429, 429]);
    expect(await log(key.id)).toEqual([
      { outcome: "success", reason: null, ip: "198.51.100.9", repeats: 30 },
      { outcome: "failure", reason: "rate_limited", ip: "198.51.100.9", repeats: 3 },
    ]);
  });

  it("a run of identical verifications is one entry with a count; any change starts a new entry", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    const get = (ip: string, k = key.plaintext) => callApi("get", "/api/v1/projects", { key: k, ip });
    for (let i = 0; i < 5; i++) expect((await get("198.51.100.1")).status).toBe(200);
    expect((await get("198.51.100.2")).status).toBe(200);
    expect((await get("198.51.100.1")).status).toBe(200);
    await revokeApiKey(a.admin, { id: key.id }, request());
    for (let i = 0; i < 3; i++) expect((await get("198.51.100.1")).status).toBe(401);
    expect(await log(key.id)).toEqual([
      { outcome: "success", reason: null, ip: "198.51.100.1", repeats: 5 },
      { outcome: "success", reason: null, ip: "198.51.100.2", repeats: 1 },
      { outcome: "success", reason: null, ip: "198.51.100.1", repeats: 1 },
      { outcome: "failure", reason: "revoked", ip: "198.51.100.1", repeats: 3 },
    ]);
    // The dashboard's query returns the count with each entry, newest first.
    const recent = await withTenant(a.owner.claims, (tx) => listRecentVerifications(tx));
    expect(recent.map((e) => [e.outcome, e.repeats])).toEqual([
      ["failure", 3],
      ["success", 1],
      ["success", 1],
      ["success", 5],
    ]);
  });
});
