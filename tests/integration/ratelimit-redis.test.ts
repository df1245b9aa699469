import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import net from "node:net";
import fc from "fast-check";
import { Redis as IORedis } from "ioredis";
import { Ratelimit } from "@upstash/ratelimit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { env } from "@/lib/env";
import {
  closeDefaultRateLimitStore,
  createRateLimiter,
  createRedisStore,
  rateLimitBackendFor,
  rateLimitStatus,
  type BackendErrorEvent,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimitStore,
} from "@/lib/ratelimit";
import { createIoredisClient, IoredisRatelimitAdapter } from "@/lib/ratelimit/redis-adapter";
import { awayFromWindowEdge } from "../helpers/rate-limit-window";

/**
 * RL-2 against real Redis: this file starts its own redis-server on a free port (so it runs whether or not the
 * suite has REDIS_URL) and stops it mid-test to prove the fallback. The library's real Lua runs on it.
 */

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once("error", () => finish(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => finish(data.toString().startsWith("+PONG")));
  });
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    if (await ping(port)) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("redis-server did not start");
}

async function stopRedis(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGCONT");
  child.kill("SIGKILL");
  await exited;
}

async function drain(limiter: RateLimiter, identifier: string, max: number): Promise<RateLimitDecision[]> {
  const results: RateLimitDecision[] = [];
  for (let i = 0; i < max; i++) results.push(await limiter.limit(identifier));
  return results;
}

// Every test here counts requests in one window of an hour; one that could straddle a boundary waits for the next
// window first (at most 30 s, in 1 run in 120).
const HOUR = 3_600_000;
beforeEach(() => awayFromWindowEdge(HOUR, 30_000));

const LIMIT = 20;
const COOLDOWN_MS = 300;

let port: number;
let redis: ChildProcess | undefined;
let admin: IORedis;
const stores: RateLimitStore[] = [];

function store(options: Parameters<typeof createRedisStore>[1] = {}): RateLimitStore {
  // Generous call budget here: these tests are about shared counts and outages, not about latency under load.
  const s = createRedisStore(`redis://127.0.0.1:${port}`, { timeoutMs: 2_000, cooldownMs: COOLDOWN_MS, ...options });
  stores.push(s);
  return s;
}

beforeAll(async () => {
  port = await freePort();
  redis = await startRedis(port);
  admin = new IORedis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on("error", () => {});
  await admin.connect();
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  admin?.disconnect();
  await stopRedis(redis);
});

describe("ioredis adapter for @upstash/ratelimit's scripts", () => {
  it("runs flagged scripts that Redis 7.0 refuses, by hash too, and survives a flushed script cache", async () => {
    const flagged = "#!lua flags=allow-key-locking\nreturn {KEYS[1], ARGV[1]}";
    const [, major, minor] = (/redis_version:(\d+)\.(\d+)/.exec(await admin.info("server")) ?? []).map(Number);
    if (major! < 7 || (major === 7 && minor! < 2)) {
      await expect(admin.eval(flagged, 0)).rejects.toThrow(/shebang/i);
    }
    const adapter = new IoredisRatelimitAdapter(createIoredisClient(`redis://127.0.0.1:${port}`));
    try {
      const originalHash = createHash("sha1").update(flagged).digest("hex");
      // What @upstash/ratelimit does: EVALSHA of the original, then EVAL of the original on NOSCRIPT.
      await expect(adapter.evalsha(originalHash, ["k1"], ["a"])).rejects.toThrow(/NOSCRIPT/);
      expect(await adapter.eval(flagged, ["k1"], ["a"])).toEqual(["k1", "a"]);
      expect(await adapter.evalsha(originalHash, ["k2"], [7])).toEqual(["k2", "7"]);
      await admin.script("FLUSH");
      expect(await adapter.evalsha(originalHash, ["k3"], ["b"])).toEqual(["k3", "b"]);
    } finally {
      await adapter.close();
    }
  });
});

describe("our limiter and the library's Ratelimit.limit() are one limiter (RL-1)", () => {
  it("they count in the same sliding window, under the same keys, and agree on what is left", async () => {
    const prefix = `test:rl:${randomUUID()}`;
    const shared = store();
    const ours = createRateLimiter({ name: "parity", limit: 5, window: "1 h", prefix, store: shared });
    // What lib/ratelimit/limiter.ts would build if it called the library's public limit() (ephemeral cache off, so
    // each side asks Redis).
    const library = new Ratelimit({ redis: shared.redis, limiter: Ratelimit.slidingWindow(5, "1 h"), prefix: `${prefix}:parity`, timeout: 0, analytics: false, ephemeralCache: false });
    const id = `key_${randomUUID()}`;
    const seen: [string, boolean, number][] = [];
    for (let i = 0; i < 7; i++) {
      const r = i % 2 === 0 ? await library.limit(id) : await ours.limit(id);
      seen.push([i % 2 === 0 ? "library" : "ours", r.success, r.remaining]);
    }
    expect(seen).toEqual([
      ["library", true, 4],
      ["ours", true, 3],
      ["library", true, 2],
      ["ours", true, 1],
      ["library", true, 0],
      ["ours", false, 0],
      ["library", false, 0],
    ]);
    expect((await admin.keys(`${prefix}:parity:${id}:*`)).length).toBeGreaterThan(0);
  });
});

/**
 * A TCP proxy on 127.0.0.1 in front of the real Redis that holds Redis's replies back: real slowness, as a loaded
 * host or a stalled Redis produces it. Commands reach Redis at once (so Redis counts them); replies keep their
 * order, as on one TCP connection.
 */
class SlowRedisProxy {
  /** Every reply is held this long (ms). */
  delayMs = 0;
  private slowOnce = 0;
  private pending = 0;
  private drained: (() => void)[] = [];
  private readonly sockets = new Set<net.Socket>();
  private constructor(private readonly server: net.Server) {}

  static async start(targetPort: number): Promise<SlowRedisProxy> {
    const server = net.createServer();
    const proxy = new SlowRedisProxy(server);
    server.on("connection", (client) => proxy.relay(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Holds only the next reply for `ms` (later replies wait behind it, as they would on the wire). */
  slowNextReply(ms: number): void {
    this.slowOnce = ms;
  }

  /** Resolves once every held reply has been delivered. */
  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.drained.push(resolve));
  }

  /** Redis unreachable: open connections are cut, new ones closed at once (what a crashed Redis host looks like). */
  set down(value: boolean) {
    this.refusing = value;
    if (value) for (const socket of this.sockets) socket.destroy();
  }
  private refusing = false;

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private relay(client: net.Socket, targetPort: number): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, "127.0.0.1");
    this.sockets.add(client).add(upstream);
    let releaseAt = 0;
    client.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => {
      const delay = this.slowOnce || this.delayMs;
      this.slowOnce = 0;
      releaseAt = Math.max(releaseAt, Date.now() + delay);
      this.pending += 1;
      setTimeout(() => {
        if (!client.destroyed) client.write(chunk);
        if (--this.pending === 0) for (const resolve of this.drained.splice(0)) resolve();
      }, releaseAt - Date.now());
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  }
}

describe("a slow Redis (RL-2: the fallback never exceeds the limit per instance)", () => {
  let proxy: SlowRedisProxy;
  // Budgets far from both sides: a loopback reply under load stays well under 500 ms; a held one takes 2.5 s.
  const TIMEOUT_MS = 500;
  const SLOW_MS = 2_500;

  beforeAll(async () => {
    proxy = await SlowRedisProxy.start(port);
  });
  afterAll(() => proxy.close());

  it("Redis slows down mid-window: one instance lets through exactly the limit, never more, and the breaker opens only after several timeouts", async () => {
    const errors: BackendErrorEvent[] = [];
    const slowStore = createRedisStore(`redis://127.0.0.1:${proxy.port}`, { timeoutMs: TIMEOUT_MS, cooldownMs: HOUR, failureThreshold: 3 });
    stores.push(slowStore);
    const limiter = createRateLimiter({
      name: "slow", limit: LIMIT, window: "1 h", prefix: `test:rl:${randomUUID()}`, store: slowStore,
      onBackendError: (e) => void errors.push(e),
    });
    const id = `key_${randomUUID()}`;

    proxy.delayMs = 0;
    const fast = await drain(limiter, id, 8);
    expect(fast.every((d) => d.success)).toBe(true);
    expect(fast.filter((d) => d.backend === "redis").length).toBeGreaterThan(0);

    proxy.delayMs = SLOW_MS;
    try {
      const slow = await drain(limiter, id, 3 * LIMIT);
      // The first timeouts are answered from memory and counted there; after three in a row the breaker is open.
      expect(new Set(slow.map((d) => d.backend))).toEqual(new Set(["memory"]));
      expect(errors).toHaveLength(3);
      expect(slowStore.breaker.state).toBe("open");
      const allowed = [...fast, ...slow].filter((d) => d.success).length;
      // The fallback continued from the 8 this instance had let through via Redis: never 8 + LIMIT.
      expect(allowed).toBe(LIMIT);
      expect(slow.slice(LIMIT - 8).every((d) => !d.success && d.remaining === 0)).toBe(true);
    } finally {
      proxy.delayMs = 0;
      await proxy.idle();
    }
  });

  it("Redis slow, then back within the window: what memory let through still counts, so the instance never passes the limit", async () => {
    const cooldownMs = 300;
    const errors: BackendErrorEvent[] = [];
    const slowStore = createRedisStore(`redis://127.0.0.1:${proxy.port}`, { timeoutMs: TIMEOUT_MS, cooldownMs, failureThreshold: 3 });
    stores.push(slowStore);
    const limiter = createRateLimiter({
      name: "recovering", limit: LIMIT, window: "1 h", prefix: `test:rl:${randomUUID()}`, store: slowStore,
      onBackendError: (e) => void errors.push(e),
    });
    const id = `key_${randomUUID()}`;
    const decisions: RateLimitDecision[] = await drain(limiter, id, 5);

    proxy.delayMs = SLOW_MS;
    try {
      // Three timeouts open the breaker; memory answers the rest, and Redis never hears of those.
      decisions.push(...(await drain(limiter, id, LIMIT)));
      expect(slowStore.breaker.state).toBe("open");
    } finally {
      proxy.delayMs = 0;
      await proxy.idle();
    }
    // Redis answers again: the probe after the cool-down closes the breaker.
    const deadline = Date.now() + 30_000;
    while (slowStore.breaker.state !== "closed" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, cooldownMs));
      decisions.push(await limiter.limit(id));
    }
    expect(slowStore.breaker.state).toBe("closed");
    // Redis itself has counted fewer than the limit (it never saw what memory answered): left alone, it would allow more.
    const redisCount = async () => {
      const keys = await admin.keys(`*:recovering:${id}:*`);
      return (await Promise.all(keys.map((k) => admin.get(k)))).reduce((sum, v) => sum + Number(v), 0);
    };
    expect(await redisCount()).toBeLessThan(LIMIT);
    decisions.push(...(await drain(limiter, id, LIMIT)));
    expect(await redisCount()).toBe(LIMIT);

    expect(decisions.filter((d) => d.success)).toHaveLength(LIMIT);
    expect(decisions.at(-1)).toMatchObject({ success: false, remaining: 0 });
  });

  it("whatever Redis does in a window (answers, slows down, goes away, comes back, in any order), one instance never lets more than the limit through", async () => {
    const limit = 10;
    const store = createRedisStore(`redis://127.0.0.1:${proxy.port}`, { timeoutMs: 150, cooldownMs: 200, failureThreshold: 3 });
    stores.push(store);
    const limiter = createRateLimiter({ name: "any-weather", limit, window: "1 h", prefix: `test:rl:${randomUUID()}`, store });
    const phase = fc.record({ redis: fc.constantFrom("up", "slow", "down", "blip"), requests: fc.integer({ min: 1, max: 8 }), pauseMs: fc.constantFrom(0, 250) });
    await fc.assert(
      fc.asyncProperty(fc.array(phase, { minLength: 2, maxLength: 5 }), async (phases) => {
        const id = `key_${randomUUID()}`;
        let allowed = 0;
        try {
          for (const p of phases) {
            proxy.down = p.redis === "down";
            proxy.delayMs = p.redis === "slow" ? 400 : 0;
            if (p.redis === "blip") proxy.slowNextReply(400);
            for (let i = 0; i < p.requests; i++) if ((await limiter.limit(id)).success) allowed += 1;
            if (p.pauseMs) await new Promise((r) => setTimeout(r, p.pauseMs));
          }
        } finally {
          proxy.down = false;
          proxy.delayMs = 0;
          await proxy.idle();
        }
        // Fill the rest of the window with Redis answering: the instance's total is still at most the limit.
        for (let i = 0; i < limit + 2; i++) if ((await limiter.limit(id)).success) allowed += 1;
        expect(allowed).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 10 },
    );
  });

  it("a single slow reply: that request is answered from memory, the breaker stays closed, and the next request sees the shared count again", async () => {
    const prefix = `test:rl:${randomUUID()}`;
    const options = { name: "blip", limit: LIMIT, window: "1 h", prefix } as const;
    const errors: BackendErrorEvent[] = [];
    const throughProxy = createRedisStore(`redis://127.0.0.1:${proxy.port}`, { timeoutMs: TIMEOUT_MS, cooldownMs: HOUR });
    stores.push(throughProxy);
    const instanceA = createRateLimiter({ ...options, store: throughProxy, onBackendError: (e) => void errors.push(e) });
    const instanceB = createRateLimiter({ ...options, store: store() });
    const id = `key_${randomUUID()}`;

    expect((await drain(instanceB, id, 10)).every((d) => d.success && d.backend === "redis")).toBe(true);
    expect(await instanceA.limit(id)).toMatchObject({ success: true, backend: "redis", remaining: LIMIT - 11 });

    proxy.slowNextReply(SLOW_MS);
    const blip = await instanceA.limit(id);
    expect(blip).toMatchObject({ success: true, backend: "memory" });
    expect(errors).toHaveLength(1);
    expect(throughProxy.breaker.state).toBe("closed");
    await proxy.idle();

    // Redis is used again, with everything both instances did (the slow request reached Redis and was counted).
    expect(await instanceA.limit(id)).toMatchObject({ success: true, backend: "redis", remaining: LIMIT - 13 });
    expect(await instanceB.limit(id)).toMatchObject({ success: true, backend: "redis", remaining: LIMIT - 14 });
    expect(errors).toHaveLength(1);
  });
});

describe("Redis-backed limits shared by app instances (RL-1, RL-2)", () => {
  const prefix = `test:rl:${randomUUID()}`;
  const errors: BackendErrorEvent[] = [];
  let instanceA: RateLimiter;
  let instanceB: RateLimiter;

  beforeAll(() => {
    // Two app instances: two limiters, each with its own connection and breaker, one Redis.
    const options = { name: "shared", limit: LIMIT, window: "1 h", prefix, onBackendError: (e: BackendErrorEvent) => void errors.push(e) } as const;
    instanceA = createRateLimiter({ ...options, store: store() });
    instanceB = createRateLimiter({ ...options, store: store() });
  });

  it("50 concurrent requests across two instances: exactly the limit succeed, counted in Redis", async () => {
    const id = `key_${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? instanceA : instanceB).limit(id)));
    expect(results.filter((r) => r.success)).toHaveLength(LIMIT);
    expect(new Set(results.map((r) => r.backend))).toEqual(new Set(["redis"]));
    expect(errors).toEqual([]);

    const keys = await admin.keys(`${prefix}:shared:${id}:*`);
    expect(keys.length).toBeGreaterThan(0);
    const counted = (await Promise.all(keys.map((k) => admin.get(k)))).reduce((sum, v) => sum + Number(v), 0);
    expect(counted).toBe(LIMIT);
  });

  it("a hung Redis: each call costs one budget until the breaker opens, then requests are answered from memory without calling it", async () => {
    const hungErrors: BackendErrorEvent[] = [];
    const timeoutMs = 200;
    const hungStore = store({ timeoutMs, cooldownMs: 60_000, failureThreshold: 3 });
    const limiter = createRateLimiter({ name: "hung", limit: LIMIT, window: "1 h", prefix, store: hungStore, onBackendError: (e) => void hungErrors.push(e) });
    expect((await limiter.limit("warm")).backend).toBe("redis");
    // The budget is ioredis's own command timeout (its default alone would be 500 ms): no timer of ours per call.
    expect((hungStore.redis as IoredisRatelimitAdapter).client.options.commandTimeout).toBe(timeoutMs);
    expect(hungStore.callsTimeOut).toBe(true);

    redis!.kill("SIGSTOP");
    try {
      const hangStarted = performance.now();
      const during = await drain(limiter, "during-hang", 3);
      // Generous: three budgets, far from "hung for good".
      expect(performance.now() - hangStarted).toBeLessThan(10_000);
      // Each timed-out call is counted in memory (RL-2): remaining counts down.
      expect(during.map((d) => [d.success, d.backend, d.remaining])).toEqual([
        [true, "memory", LIMIT - 1],
        [true, "memory", LIMIT - 2],
        [true, "memory", LIMIT - 3],
      ]);
      expect(hungErrors).toHaveLength(3);
      for (const e of hungErrors) expect(String((e.error as Error).message)).toMatch(/Command timed out/);
      expect(hungStore.breaker.state).toBe("open");

      // Open: Redis is not called (a call would time out and report a fourth error).
      const next = await limiter.limit("during-hang");
      expect(next).toMatchObject({ success: true, backend: "memory", remaining: LIMIT - 4 });
      expect(hungErrors).toHaveLength(3);
    } finally {
      redis!.kill("SIGCONT");
    }
  });

  it("a Redis that accepts connections but never answers: the wait for the connection is bounded by the same budget", async () => {
    // A TCP server that accepts and stays silent: ioredis connects, then waits for its ready check.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const silentErrors: BackendErrorEvent[] = [];
    const timeoutMs = 200;
    const limiter = createRateLimiter({
      name: "silent", limit: LIMIT, window: "1 h", prefix,
      store: createRedisStore(`redis://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, { timeoutMs, cooldownMs: 60_000, connectTimeoutMs: 5_000 }),
      onBackendError: (e) => void silentErrors.push(e),
    });
    try {
      const started = performance.now();
      const decision = await limiter.limit("while-connecting");
      // Not ioredis's connect timeout (5 s here): the store's budget (generous bound: half the connect timeout).
      expect(performance.now() - started).toBeLessThan(2_500);
      expect(decision).toMatchObject({ success: true, backend: "memory" });
      expect(silentErrors).toHaveLength(1);
      expect(String((silentErrors[0]!.error as Error).message)).toMatch(/did not answer within 200 ms/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("Redis killed: requests keep being answered from memory, never throwing and never unlimited", async () => {
    await stopRedis(redis);
    redis = undefined;
    errors.length = 0;
    await new Promise((r) => setTimeout(r, 50)); // let the clients see their sockets close

    const id = `key_${randomUUID()}`;
    const results = await drain(instanceA, id, LIMIT + 5);
    expect(new Set(results.map((r) => r.backend))).toEqual(new Set(["memory"]));
    expect(results.filter((r) => r.success)).toHaveLength(LIMIT);
    expect(results.slice(LIMIT).every((r) => !r.success && r.remaining === 0)).toBe(true);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.every((e) => e.backend === "redis" && e.limiter === "shared")).toBe(true);
    // A dead Redis is found out at once (refused connection), not after a connect or command timeout.
    for (const e of errors) expect(String((e.error as Error).message)).not.toMatch(/in time|timed out|did not answer/);
    // The fallback is per process: the other limiter object here shares this process' count.
    expect(await instanceB.limit(id)).toMatchObject({ success: false, backend: "memory" });
  });

  it("Redis back: after the cool-down a probe closes the breaker and Redis limits apply again", async () => {
    redis = await startRedis(port);

    const deadline = Date.now() + 10_000;
    let probe: RateLimitDecision | undefined;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, COOLDOWN_MS / 3));
      probe = await instanceA.limit(`probe_${randomUUID()}`);
      if (probe.backend === "redis") break;
    }
    expect(probe?.backend).toBe("redis");

    // A fresh identifier: the restarted Redis (no persistence) counts from zero and refuses the 21st.
    const id = `key_${randomUUID()}`;
    const results = await drain(instanceA, id, LIMIT + 1);
    expect(results.filter((r) => r.success)).toHaveLength(LIMIT);
    expect(results[LIMIT]).toMatchObject({ success: false, backend: "redis", remaining: 0 });
    const keys = await admin.keys(`${prefix}:shared:${id}:*`);
    expect((await Promise.all(keys.map((k) => admin.get(k)))).reduce((sum, v) => sum + Number(v), 0)).toBe(LIMIT);
  });
});

describe("the environment's backend (RL-2)", () => {
  afterAll(closeDefaultRateLimitStore);

  it("REDIS_URL (when set) is used with the library's keys under our prefix; otherwise memory", async () => {
    const prefix = `test:rl:${randomUUID()}`;
    const limiter = createRateLimiter({ name: "env", limit: 3, window: "1 h", prefix });
    const results = await drain(limiter, "org_1", 4);
    const expected = rateLimitBackendFor(env);
    expect(results.map((r) => [r.success, r.backend])).toEqual([
      [true, expected],
      [true, expected],
      [true, expected],
      [false, expected],
    ]);
    // What /health reports (OBS-4): the backend in use and, with Redis, a closed breaker.
    expect(rateLimitStatus()).toEqual({ backend: expected, breaker: expected === "memory" ? "n/a" : "closed" });
    if (expected === "redis") {
      const shared = new IORedis(env.REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await shared.connect();
        const keys = await shared.keys(`${prefix}:*`);
        expect(keys.length).toBeGreaterThan(0);
        await shared.del(...keys);
      } finally {
        shared.disconnect();
      }
    }
  });
});
