import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { closeDb } from "@/lib/db";
import { env } from "@/lib/env";
import { closeDefaultRateLimitStore, RATE_LIMIT_CLASSES, rateLimitBackendFor, rateLimitStatus } from "@/lib/ratelimit";
import { orgWithMembers } from "../helpers/tenants";
import { callApi, newKey } from "../helpers/api";
import { awayFromWindowEdge } from "../helpers/rate-limit-window";

/**
 * RL-1 / RL-3 through the partner API's real route handlers, with the app's own limit classes (600 per key and
 * 3,000 per org a minute): on PGlite the in-memory limiter counts, with REDIS_URL the shared Redis does.
 *
 * Most requests here are cheap on purpose: `?limit=1000` is refused with 422 by validation, which comes after
 * authentication and the rate limits (lib/api/handler.ts), so every one of them is counted without a database
 * transaction. Requests whose status matters are real reads (200).
 */

afterAll(async () => {
  await closeDefaultRateLimitStore();
  await closeDb();
});

const KEY_LIMIT = RATE_LIMIT_CLASSES.apiKey.limit;
const ORG_LIMIT = RATE_LIMIT_CLASSES.org.limit;
const MINUTE = 60_000;

// Exact counts in one-minute windows: a test that could straddle a boundary waits for the next window (at most 20 s).
beforeEach(() => awayFromWindowEdge(MINUTE, 20_000));

/** `n` authenticated requests, each counted by the limiters; returns how many were refused with 429. */
async function spend(key: string, n: number): Promise<number> {
  let refused = 0;
  for (let i = 0; i < n; i++) {
    const res = await callApi("get", "/api/v1/projects", { key, query: "?limit=1000" });
    if (res.status === 429) refused += 1;
    else expect(res.status).toBe(422);
  }
  return refused;
}

function expectRateLimited(res: Awaited<ReturnType<typeof callApi>>, limit: number) {
  expect(res.status).toBe(429);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(res.json).toMatchObject({ status: 429, code: "rate_limited" });
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(res.headers.get("ratelimit-limit")).toBe(String(limit));
  expect(res.headers.get("ratelimit-remaining")).toBe("0");
  expect(Number(res.headers.get("ratelimit-reset"))).toBeLessThanOrEqual(60);
}

describe("partner API rate limits per key and per org (RL-1, RL-3)", () => {
  it("each test file counts under its own rate-limit key prefix, so runs and files never share counters", async () => {
    // Every API test calls from one client address: with a prefix shared between runs (or files) on one Redis, a run
    // started within the minute would find this address's bad-key budget partly used by the previous one.
    const attempts = RATE_LIMIT_CLASSES.anonymousIp.limit - 5;
    const statuses = new Set<number>();
    for (let i = 0; i < attempts; i++) statuses.add((await callApi("get", "/api/v1/projects", { key: `tg_test_${"Z".repeat(43)}` })).status);
    expect([...statuses]).toEqual([401]);
    expect(env.RATE_LIMIT_PREFIX).toMatch(/^tg:test:[0-9a-f-]{36}$/);
  });

  it("a key gets exactly its limit in a minute, then 429 with Retry-After and RateLimit headers", async () => {
    const a = await orgWithMembers("Limited");
    const key = await newKey(a.admin);
    expect(await spend(key.plaintext, KEY_LIMIT - 1)).toBe(0);

    const last = await callApi("get", "/api/v1/projects", { key: key.plaintext });
    expect(last.status).toBe(200);
    expect(last.headers.get("ratelimit-limit")).toBe(String(KEY_LIMIT));
    expect(last.headers.get("ratelimit-remaining")).toBe("0");
    expect(last.headers.has("retry-after")).toBe(false);

    const refused = await callApi("get", "/api/v1/projects", { key: key.plaintext });
    expectRateLimited(refused, KEY_LIMIT);
    // Counted by the configured backend (Redis with REDIS_URL), which stayed healthy throughout.
    const backend = rateLimitBackendFor(env);
    expect(rateLimitStatus()).toEqual({ backend, breaker: backend === "memory" ? "n/a" : "closed" });

    // Another key of the same org has its own per-key budget (the org's is far from used up).
    const sibling = await newKey(a.admin);
    expect((await callApi("get", "/api/v1/projects", { key: sibling.plaintext })).status).toBe(200);
  });

  it("the keys of one org share the org's limit: once the org's budget is used, another key of it is refused; other orgs are unaffected", async () => {
    const a = await orgWithMembers("Shared budget");
    const other = await orgWithMembers("Unaffected");
    const spenders = KEY_LIMIT < ORG_LIMIT ? Math.ceil(ORG_LIMIT / KEY_LIMIT) : 1;
    let spent = 0;
    for (let i = 0; i < spenders; i++) {
      const key = await newKey(a.admin);
      const n = Math.min(KEY_LIMIT, ORG_LIMIT - spent);
      expect(await spend(key.plaintext, n), `key ${i + 1}`).toBe(0);
      spent += n;
    }
    expect(spent).toBe(ORG_LIMIT);

    // A key of the org that has not made a single request: refused by the org's limit, not its own.
    const fresh = await newKey(a.admin);
    expectRateLimited(await callApi("get", "/api/v1/projects", { key: fresh.plaintext }), ORG_LIMIT);

    const outsider = await newKey(other.admin);
    const res = await callApi("get", "/api/v1/projects", { key: outsider.plaintext });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get("ratelimit-remaining"))).toBe(KEY_LIMIT - 1);
  });
});
