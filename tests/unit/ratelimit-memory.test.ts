import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryRateLimiter } from "@/lib/ratelimit/memory";
import {
  createAppRateLimiters,
  createRateLimiter,
  hashedIdentifier,
  RATE_LIMIT_CLASSES,
  rateLimitBackendFor,
  rateLimitedResponse,
  rateLimitHeaders,
  signInIdentifier,
  UnsafeRateLimitIdentifierError,
  type LimitHitEvent,
} from "@/lib/ratelimit";

const WINDOW = 60_000;
const T0 = 1_000 * WINDOW; // the start of a window

function clock(start: number) {
  const c = { now: start, read: () => c.now };
  return c;
}

describe("in-memory sliding window (RL-1, RL-2)", () => {
  it("allows exactly `limit` requests in a window, with remaining counting down, then refuses", () => {
    const time = clock(T0 + 1_000);
    const limiter = new MemoryRateLimiter({ limit: 5, windowMs: WINDOW, now: time.read });
    const results = Array.from({ length: 7 }, () => limiter.limit("key_1"));
    expect(results.map((r) => r.success)).toEqual([true, true, true, true, true, false, false]);
    expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);
    expect(new Set(results.map((r) => r.limit))).toEqual(new Set([5]));
    expect(results[0]!.reset).toBe(T0 + WINDOW);
  });

  it("counts each identifier separately", () => {
    const time = clock(T0);
    const limiter = new MemoryRateLimiter({ limit: 2, windowMs: WINDOW, now: time.read });
    expect([limiter.limit("a"), limiter.limit("a"), limiter.limit("a")].map((r) => r.success)).toEqual([true, true, false]);
    expect(limiter.limit("b").success).toBe(true);
  });

  it("slides: the previous window's requests still count, weighted by how much of it the window overlaps", () => {
    const time = clock(T0);
    const limiter = new MemoryRateLimiter({ limit: 10, windowMs: WINDOW, now: time.read });
    const allowed = () => {
      let n = 0;
      while (limiter.limit("key_1").success) n += 1;
      return n;
    };
    expect(allowed()).toBe(10);
    // A fixed window would start afresh here; the sliding window still sees all 10 of the last minute.
    time.now = T0 + WINDOW;
    expect(allowed()).toBe(0);
    // Half-way into the next window, half of the previous window's 10 still counts.
    time.now = T0 + WINDOW + WINDOW / 2;
    expect(allowed()).toBe(5);
    // Two windows later nothing of that remains.
    time.now = T0 + 3 * WINDOW;
    expect(allowed()).toBe(10);
  });

  it("keeps memory bounded when flooded with distinct identifiers, still limiting recent ones", () => {
    const time = clock(T0);
    const limiter = new MemoryRateLimiter({ limit: 1, windowMs: WINDOW, now: time.read, maxEntries: 100 });
    for (let i = 0; i < 1_000; i++) limiter.limit(`flood_${i}`);
    expect(limiter.size).toBeLessThanOrEqual(100);
    expect(limiter.limit("flood_999").success).toBe(false);
  });
});

describe("createRateLimiter without Redis (RL-2: memory is the limit)", () => {
  it("answers from memory with the exact limit, and reports a hit for every refused request (RL-3)", async () => {
    const hits: LimitHitEvent[] = [];
    const limiter = createRateLimiter({ name: `unit-${randomUUID()}`, limit: 3, window: "60 s", store: null, onLimitHit: (e) => void hits.push(e) });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await limiter.limit("key_abc"));
    expect(results.map((r) => [r.success, r.remaining, r.backend])).toEqual([
      [true, 2, "memory"],
      [true, 1, "memory"],
      [true, 0, "memory"],
      [false, 0, "memory"],
      [false, 0, "memory"],
    ]);
    expect(hits).toHaveLength(2);
    expect(hits[0]).toMatchObject({ limiter: limiter.name, identifier: "key_abc", backend: "memory", limit: 3 });
  });

  it("a failing hook does not change the answer", async () => {
    const limiter = createRateLimiter({
      name: `unit-${randomUUID()}`, limit: 1, window: "60 s", store: null,
      onLimitHit: () => {
        throw new Error("logger down");
      },
    });
    expect((await limiter.limit("id")).success).toBe(true);
    await expect(limiter.limit("id", { onLimitHit: () => Promise.reject(new Error("also down")) })).resolves.toMatchObject({ success: false });
  });

  it("limiters for the same class share one count in the process", async () => {
    const name = `unit-${randomUUID()}`;
    const first = createRateLimiter({ name, limit: 2, window: "60 s", store: null });
    const second = createRateLimiter({ name, limit: 2, window: "60 s", store: null });
    expect((await first.limit("id")).success).toBe(true);
    expect((await second.limit("id")).success).toBe(true);
    expect((await first.limit("id")).success).toBe(false);
  });

  it("refuses invalid policies", () => {
    expect(() => createRateLimiter({ name: "x", limit: 0, window: "60 s", store: null })).toThrow(/positive integer/);
    expect(() => createRateLimiter({ name: "x", limit: 5, window: "soon" as never, store: null })).toThrow(/window/);
  });
});

describe("rate-limit headers (RL-3)", () => {
  it("carry limit, a decreasing remaining count and the reset in seconds; no Retry-After while allowed", async () => {
    const limiter = createRateLimiter({ name: `unit-${randomUUID()}`, limit: 3, window: "60 s", store: null });
    const first = rateLimitHeaders(await limiter.limit("id"));
    const second = rateLimitHeaders(await limiter.limit("id"));
    expect(first["RateLimit-Limit"]).toBe("3");
    expect(Number(first["RateLimit-Remaining"])).toBeGreaterThan(Number(second["RateLimit-Remaining"]));
    const reset = Number(second["RateLimit-Reset"]);
    expect(reset).toBeGreaterThanOrEqual(0);
    expect(reset).toBeLessThanOrEqual(60);
    expect(second).not.toHaveProperty("Retry-After");
  });

  it("add Retry-After in whole seconds (> 0) when refused", () => {
    const now = T0 + 30_250;
    const headers = rateLimitHeaders({ success: false, limit: 10, remaining: 0, reset: T0 + WINDOW }, now);
    expect(headers).toEqual({ "RateLimit-Limit": "10", "RateLimit-Remaining": "0", "RateLimit-Reset": "30", "Retry-After": "30" });
    // Even at the very end of a window a refused client is told to wait.
    expect(rateLimitHeaders({ success: false, limit: 10, remaining: 0, reset: now }, now)["Retry-After"]).toBe("1");
  });

  it("a refused request is answered 429 problem+json with the headers", async () => {
    const response = rateLimitedResponse({ success: false, limit: 10, remaining: 0, reset: Date.now() + 12_000 }, { requestId: "req-0123456789" });
    expect(response.status).toBe(429);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(response.headers.get("ratelimit-remaining")).toBe("0");
    expect(await response.json()).toMatchObject({ status: 429, code: "rate_limited", requestId: "req-0123456789" });
  });
});

describe("identifiers carry no secrets (KEY-5)", () => {
  const plaintextKey = `tg_live_${"a1B2c3D4".repeat(4)}`;

  it("a plaintext-looking API key is refused as an identifier, and the error does not repeat it", async () => {
    const limiter = createRateLimiter({ name: `unit-${randomUUID()}`, limit: 5, window: "60 s", store: null });
    const error = await limiter.limit(plaintextKey).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeRateLimitIdentifierError);
    expect(String((error as Error).message)).not.toContain(plaintextKey);
    await expect(limiter.limit(`Bearer ${plaintextKey.replace("live", "test")}`)).rejects.toBeInstanceOf(UnsafeRateLimitIdentifierError);
    await expect(limiter.limit(randomUUID())).resolves.toMatchObject({ success: true });
  });

  it("any identifier containing a key prefix is refused; derived ids pass", async () => {
    const limiter = createRateLimiter({ name: `unit-${randomUUID()}`, limit: 1_000_000, window: "60 s", store: null });
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), fc.constantFrom("tg_live_", "tg_test_", "TG_LIVE_"), fc.string({ maxLength: 40 }), async (before, prefix, after) => {
        await expect(limiter.limit(`${before}${prefix}${after}`)).rejects.toBeInstanceOf(UnsafeRateLimitIdentifierError);
      }),
      { numRuns: 200 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uuid(), async (keyId) => {
        await expect(limiter.limit(`key:${keyId}`)).resolves.toMatchObject({ backend: "memory" });
      }),
      { numRuns: 50 },
    );
  });

  it("hashed identifiers keep the email out and refuse key material even to hash", () => {
    const id = signInIdentifier("203.0.113.7", " Alice@Acme.test ");
    expect(id).toBe(signInIdentifier("203.0.113.7", "alice@acme.test"));
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(id).not.toBe(signInIdentifier("203.0.113.8", "alice@acme.test"));
    expect(hashedIdentifier("a", "bc")).not.toBe(hashedIdentifier("ab", "c"));
    expect(() => hashedIdentifier("key", plaintextKey)).toThrow(UnsafeRateLimitIdentifierError);
  });
});

describe("backend choice and limit classes (RL-1, RL-2)", () => {
  it.each([
    [{ UPSTASH_REDIS_REST_URL: "https://eu1.upstash.io", UPSTASH_REDIS_REST_TOKEN: "t", REDIS_URL: "redis://r:6379" }, "upstash"],
    [{ REDIS_URL: "redis://r:6379" }, "redis"],
    [{ UPSTASH_REDIS_REST_URL: "https://eu1.upstash.io" }, "memory"],
    [{}, "memory"],
  ] as const)("%j -> %s", (config, backend) => {
    expect(rateLimitBackendFor(config)).toBe(backend);
  });

  it("the app's limit classes are per key, org and IP, with stricter expensive and sign-in classes", () => {
    const limiters = createAppRateLimiters();
    const policies = Object.fromEntries(Object.entries(limiters).map(([name, l]) => [name, l.policy]));
    expect(policies).toEqual({
      apiKey: { limit: 600, windowMs: 60_000 },
      org: { limit: 3_000, windowMs: 60_000 },
      anonymousIp: { limit: 60, windowMs: 60_000 },
      expensive: { limit: 30, windowMs: 60_000 },
      upload: { limit: 60, windowMs: 60_000 },
      import: { limit: 20, windowMs: 60_000 },
      download: { limit: 120, windowMs: 60_000 },
      downloadOrg: { limit: 1_200, windowMs: 60_000 },
      signIn: { limit: 10, windowMs: 300_000 },
      signInAccount: { limit: 20, windowMs: 900_000 },
      evidenceExport: { limit: 5, windowMs: 600_000 },
    });
    expect(Object.keys(RATE_LIMIT_CLASSES)).toEqual(Object.keys(policies));
  });
});
