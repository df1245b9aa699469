import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseEnv } from "@/lib/env";
import { DEFAULT_BACKOFF, retryDelayMs } from "@/lib/jobs/backoff";
import { describeFailure } from "@/lib/jobs/errors";

describe("retry backoff: exponential with jitter", () => {
  it("attempt n waits between half and all of min(cap, base * 2^(n-1))", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const nominal = Math.min(DEFAULT_BACKOFF.capMs, DEFAULT_BACKOFF.baseMs * 2 ** (attempt - 1));
        const delay = retryDelayMs(attempt, DEFAULT_BACKOFF, () => r);
        return delay >= Math.floor(nominal / 2) && delay <= Math.ceil(nominal);
      }),
    );
  });

  it("doubles per attempt up to the cap (no jitter at r = 1)", () => {
    const policy = { baseMs: 1_000, capMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, policy, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    expect(retryDelayMs(1, policy, () => 0)).toBe(500);
  });

  it("two workers that failed together do not retry together (the jitter spreads them)", () => {
    const delays = new Set(Array.from({ length: 20 }, () => retryDelayMs(5)));
    expect(delays.size).toBeGreaterThan(1);
  });
});

describe("what is kept of a failure (last_error, logs)", () => {
  it("the error's name and first line only: no stack, no cause, no URL credentials", () => {
    const error = new TypeError("connect to postgres://svc:hunter2@db.internal:5432/app failed\nsecond line with detail", {
      cause: new Error("cause with token sk_live_abcdefghijklmnop"),
    });
    const kept = describeFailure(error);
    expect(kept).toMatch(/^TypeError: connect to postgres:\/\/\S*@db\.internal:5432\/app failed$/);
    expect(kept).not.toContain("hunter2");
    expect(kept).not.toContain("second line");
    expect(kept).not.toContain("sk_live");
    expect(kept).not.toContain("at ");
  });

  it("is bounded, and copes with what is not an Error", () => {
    expect(describeFailure(new Error("x".repeat(5_000))).length).toBeLessThanOrEqual(300);
    expect(describeFailure("plain")).toBe("Error: plain");
    expect(describeFailure({ weird: true })).toBe("Error: non-error thrown");
  });
});

describe("JOBS_IN_PROCESS", () => {
  const base = { NODE_ENV: "production", APP_URL: "https://app.example.com", ALLOW_EMBEDDED_IN_PRODUCTION: "true" } as const;
  it("defaults on with the embedded database (no other process can reach it) and in development", () => {
    expect(parseEnv({ ...base }).jobsInProcess).toBe(true);
    expect(parseEnv({ NODE_ENV: "development", DATABASE_URL: "postgres://u@127.0.0.1/db" }).jobsInProcess).toBe(true);
  });
  it("defaults off in production on PostgreSQL, where `npm run worker` runs beside `npm start`", () => {
    expect(parseEnv({ ...base, DATABASE_URL: "postgres://u@127.0.0.1/db" }).jobsInProcess).toBe(false);
    expect(parseEnv({ ...base, DATABASE_URL: "postgres://u@127.0.0.1/db", JOBS_IN_PROCESS: "true" }).jobsInProcess).toBe(true);
  });
  it("refuses to be turned off on the embedded database: no job would ever run", () => {
    expect(() => parseEnv({ NODE_ENV: "development", JOBS_IN_PROCESS: "false" })).toThrow(/JOBS_IN_PROCESS=false with the embedded database/);
  });
});
