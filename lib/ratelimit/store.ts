import { Redis as UpstashRedis } from "@upstash/redis";
import { env } from "@/lib/env";
import { CircuitBreaker, type BreakerState } from "./breaker";
import { createIoredisClient, IoredisRatelimitAdapter, type IoredisClientOptions, type RatelimitRedis } from "./redis-adapter";

export type RateLimitBackend = "redis" | "upstash" | "memory";

/**
 * A shared Redis for rate limits plus the circuit breaker guarding it. Limiters that share a store share its
 * connection and its breaker, so one outage trips the breaker once for all of them.
 */
export interface RateLimitStore {
  readonly kind: "redis" | "upstash";
  readonly redis: RatelimitRedis;
  readonly breaker: CircuitBreaker;
  /** A Redis call slower than this (ms) counts as a failure and its request is answered from memory. */
  readonly timeoutMs: number;
  /**
   * True when every call through `redis` already fails once it has taken `timeoutMs` (the ioredis store: its command
   * timeout, and a bounded wait for the connection), so the limiter arms no timer of its own for it. (The rare call
   * that must send Redis the script again, after a restart or SCRIPT FLUSH, is two commands: up to twice the budget.)
   */
  readonly callsTimeOut: boolean;
  close(): Promise<void>;
}

export interface RateLimitStoreOptions {
  /** Per-call budget before falling back to memory (ms). Default 150. */
  timeoutMs?: number;
  /** How long Redis is not tried once the breaker has opened (ms). Default 5000. */
  cooldownMs?: number;
  /** Failed or timed-out calls in a row that open the breaker. Default 3: one slow reply never does. */
  failureThreshold?: number;
  onBreakerStateChange?: (state: BreakerState) => void;
}

const DEFAULT_TIMEOUT_MS = 150;
const DEFAULT_COOLDOWN_MS = 5_000;

function breakerFor(options: RateLimitStoreOptions): CircuitBreaker {
  return new CircuitBreaker({
    cooldownMs: options.cooldownMs ?? DEFAULT_COOLDOWN_MS,
    failureThreshold: options.failureThreshold,
    onStateChange: options.onBreakerStateChange,
  });
}

/**
 * A standard Redis (REDIS_URL) through ioredis and the shebang-stripping adapter. The call budget is ioredis's own
 * command timeout (unless a longer one is asked for), so a hung Redis fails a call with no timer of ours.
 */
export function createRedisStore(url: string, options: RateLimitStoreOptions & IoredisClientOptions = {}): RateLimitStore {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const commandTimeoutMs = options.commandTimeoutMs ?? timeoutMs;
  const adapter = new IoredisRatelimitAdapter(createIoredisClient(url, { ...options, commandTimeoutMs }), { timeoutMs });
  return {
    kind: "redis",
    redis: adapter,
    breaker: breakerFor(options),
    timeoutMs,
    callsTimeOut: commandTimeoutMs <= timeoutMs,
    close: () => adapter.close(),
  };
}

/** Upstash over its REST API (production on serverless hosts). */
export function createUpstashStore(credentials: { url: string; token: string }, options: RateLimitStoreOptions = {}): RateLimitStore {
  const redis = new UpstashRedis({
    url: credentials.url,
    token: credentials.token,
    // One quick retry at most: the limiter's timeout, not the client's back-off, decides when to fall back.
    retry: { retries: 1, backoff: () => 50 },
    enableTelemetry: false,
  });
  return {
    kind: "upstash",
    redis,
    breaker: breakerFor(options),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    callsTimeOut: false,
    close: async () => {},
  };
}

/** RL-2 backend choice: Upstash when its REST credentials are set, else REDIS_URL, else in-memory. */
export function rateLimitBackendFor(config: {
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  REDIS_URL?: string;
}): RateLimitBackend {
  if (config.UPSTASH_REDIS_REST_URL && config.UPSTASH_REDIS_REST_TOKEN) return "upstash";
  if (config.REDIS_URL) return "redis";
  return "memory";
}

const holder = globalThis as typeof globalThis & { __tenantguardRateLimitStore?: RateLimitStore | null };

/**
 * The store configured by the environment, created on first use (no connection is opened by importing this
 * module or by `next build`) and kept once per process, also across dev-server reloads. Null means memory.
 */
export function defaultRateLimitStore(): RateLimitStore | null {
  if (holder.__tenantguardRateLimitStore === undefined) {
    const backend = rateLimitBackendFor(env);
    holder.__tenantguardRateLimitStore =
      backend === "upstash"
        ? createUpstashStore({ url: env.UPSTASH_REDIS_REST_URL!, token: env.UPSTASH_REDIS_REST_TOKEN! })
        : backend === "redis"
          ? createRedisStore(env.REDIS_URL!)
          : null;
  }
  return holder.__tenantguardRateLimitStore;
}

/** For graceful shutdown and tests: closes the environment's store; the next use opens a new one. */
export async function closeDefaultRateLimitStore(): Promise<void> {
  const store = holder.__tenantguardRateLimitStore;
  holder.__tenantguardRateLimitStore = undefined;
  await store?.close();
}

/** OBS-4: what /health can report about rate limiting, without touching Redis. */
export function rateLimitStatus(): { backend: RateLimitBackend; breaker: BreakerState | "n/a" } {
  const store = defaultRateLimitStore();
  return store ? { backend: store.kind, breaker: store.breaker.state } : { backend: "memory", breaker: "n/a" };
}
