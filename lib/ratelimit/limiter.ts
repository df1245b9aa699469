import { Ratelimit } from "@upstash/ratelimit";
import { env } from "@/lib/env";
import { isEnabled } from "@/lib/flags";
import { durationToMs, type Duration } from "./duration";
import { assertSafeIdentifier } from "./identifier";
import { MemoryRateLimiter, type RateLimitResult } from "./memory";
import { defaultRateLimitStore, type RateLimitBackend, type RateLimitStore } from "./store";
import { withTimeout } from "./timeout";

/** `off`: the rate_limits security flag is off (OPS-4) and the request was allowed without being counted. */
export type RateLimitDecision = RateLimitResult & { backend: RateLimitBackend | "off" };

/** RL-3: one refused request, for logging and alerting. `identifier` is the caller's derived, non-secret id. */
export interface LimitHitEvent {
  limiter: string;
  identifier: string;
  backend: RateLimitBackend | "off";
  limit: number;
  reset: number;
}

/** RL-2: a Redis call failed (or was too slow) and the request was answered from memory. */
export interface BackendErrorEvent {
  limiter: string;
  backend: "redis" | "upstash";
  error: unknown;
}

export interface RateLimitHooks {
  onLimitHit?: (event: LimitHitEvent) => void | Promise<void>;
  onBackendError?: (event: BackendErrorEvent) => void | Promise<void>;
}

export interface RateLimiterOptions extends RateLimitHooks {
  /** Names the limit class; part of every key, so two classes never share counters. */
  name: string;
  /** Requests allowed per window, per identifier. */
  limit: number;
  /** Sliding-window length, e.g. "60 s". */
  window: Duration;
  /** Key namespace in Redis. Default RATE_LIMIT_PREFIX ("tg:rl"); keys are `<prefix>:<name>:<identifier>:<window number>`. */
  prefix?: string;
  /** The Redis to use. Default: the environment's (Upstash, else REDIS_URL, else none). `null`: memory only. */
  store?: RateLimitStore | null;
}

export interface RateLimiter {
  readonly name: string;
  readonly policy: { limit: number; windowMs: number };
  /** Counts one request for `identifier`. Never throws for a backend failure; throws for an unsafe identifier. */
  limit(identifier: string, hooks?: Pick<RateLimitHooks, "onLimitHit">): Promise<RateLimitDecision>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

// One in-memory limiter per limit class and process, however many RateLimiter objects are created for it, so
// the fallback counts every request this process serves for that class.
const memoryHolder = globalThis as typeof globalThis & { __tenantguardRateLimitMemory?: Map<string, MemoryRateLimiter> };
function sharedMemoryLimiter(key: string, limit: number, windowMs: number): MemoryRateLimiter {
  const registry = (memoryHolder.__tenantguardRateLimitMemory ??= new Map());
  let limiter = registry.get(key);
  if (!limiter) {
    limiter = new MemoryRateLimiter({ limit, windowMs });
    registry.set(key, limiter);
  }
  return limiter;
}

function notify<T>(hook: ((event: T) => void | Promise<void>) | undefined, event: T): void {
  if (!hook) return;
  try {
    void Promise.resolve(hook(event)).catch(() => {});
  } catch {
    // Logging a hit must never change the answer to the request.
  }
}

/**
 * @upstash/ratelimit's limiter, asked through its algorithm: the library's own sliding-window Lua script, key scheme
 * (`<prefix>:<identifier>:<window>`) and ephemeral block cache, exactly what `Ratelimit.limit()` runs, without the
 * layers this app switches off (deny lists, analytics, the library's fail-open timeout; see below) and the dozen
 * promises they cost per call. The ratelimit-redis and ratelimit-upstash tests pin the behaviour to the library's.
 */
class SlidingWindowRatelimit extends Ratelimit {
  decide(identifier: string): ReturnType<ReturnType<Ratelimit["limiter"]>["limit"]> {
    return this.limiter().limit(this.ctx, `${this.prefix}:${identifier}`);
  }
}

/**
 * RL-1 / RL-2: a sliding-window limiter for one limit class.
 *
 * With a store (Upstash or REDIS_URL), every decision is made by @upstash/ratelimit's `slidingWindow` Lua script
 * in Redis, so all app instances share one count. A call that fails or answers slower than the store's timeout
 * is answered by the in-memory limiter; only several such calls in a row open the store's circuit breaker
 * (breaker.ts), after which requests are answered from memory without calling Redis until a probe after the
 * cool-down finds it healthy again.
 *
 * RL-2 guarantee, per app instance and identifier: the requests this instance lets through in a window never
 * exceed `limit` (as the sliding window counts them), whichever backend answered each and however Redis behaved.
 * The in-memory limiter counts every request this instance allows and has the last word on each: those Redis
 * allowed, and those it answered itself, including calls to Redis that timed out (Redis may have counted them
 * too; counting twice only ever refuses earlier). So when Redis is slow or down, the fallback continues from what
 * this instance already let through, never from zero; and when Redis is back within the window, its count (which
 * lacks what memory answered) cannot take the instance past the limit either. Across instances the limit is
 * shared while Redis answers; during an outage each instance enforces it on its own, so a client can get up to
 * (limit x instances) per window. That is preferred to refusing all traffic (a Redis outage would become an API
 * outage) and to letting everything through (an outage would remove abuse protection). Without any store, the
 * memory limiter is the limit. The memory limiter's bound on tracked identifiers (memory.ts) is the one way it can
 * forget a count.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { name, limit } = options;
  if (!NAME.test(name)) throw new Error(`Invalid rate-limiter name "${name}".`);
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`Rate limiter "${name}": limit must be a positive integer.`);
  const windowMs = durationToMs(options.window);
  const keyPrefix = `${options.prefix ?? env.RATE_LIMIT_PREFIX}:${name}`;
  const memory = sharedMemoryLimiter(`${keyPrefix}|${limit}|${windowMs}`, limit, windowMs);

  // Resolved on first use, so creating limiters (e.g. at module load, during `next build`) opens no connection.
  let resolved: { store: RateLimitStore; ratelimit: SlidingWindowRatelimit } | null | undefined;
  const backend = () => {
    if (resolved !== undefined) return resolved;
    const store = options.store === undefined ? defaultRateLimitStore() : options.store;
    resolved = store
      ? {
          store,
          ratelimit: new SlidingWindowRatelimit({
            redis: store.redis,
            limiter: Ratelimit.slidingWindow(limit, options.window),
            prefix: keyPrefix,
            // The library's own timeout lets the request through with no limit at all ("fail open"); ours
            // answers from the memory limiter instead, so it is switched off.
            timeout: 0,
            analytics: false,
            enableTelemetry: false,
          }),
        }
      : null;
    return resolved;
  };

  const fromMemory = (identifier: string): RateLimitDecision => ({ ...memory.limit(identifier), backend: "memory" });

  // finish runs in the same callback that takes Redis's answer: one promise per limit call fewer (see withTimeout).
  function decide(identifier: string, finish: (decision: RateLimitDecision) => RateLimitDecision): Promise<RateLimitDecision> {
    const redis = backend();
    if (!redis) return Promise.resolve(finish(fromMemory(identifier)));
    const { store, ratelimit } = redis;
    const ticket = store.breaker.acquire();
    if (!ticket) return Promise.resolve(finish(fromMemory(identifier)));
    let pending: Promise<Awaited<ReturnType<SlidingWindowRatelimit["decide"]>>>;
    try {
      // A store whose calls already fail after its timeout (ioredis's command timeout) needs no timer of ours.
      pending = store.callsTimeOut ? ratelimit.decide(identifier) : withTimeout(ratelimit.decide(identifier), store.timeoutMs);
    } catch (error) {
      pending = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return pending.then(
      (r) => {
        store.breaker.succeeded(ticket);
        if (!r.success) return finish({ success: false, limit: r.limit, remaining: 0, reset: r.reset, backend: store.kind });
        // RL-2: what Redis allows is counted in memory too, and this instance's own count caps it: the fallback
        // continues from it, and after an outage Redis (which never saw the requests answered from memory) cannot
        // let this instance pass the limit within the window.
        const local = memory.limit(identifier);
        if (!local.success) return finish({ ...local, backend: "memory" });
        return finish({ success: true, limit: r.limit, remaining: Math.min(r.remaining, local.remaining), reset: r.reset, backend: store.kind });
      },
      (error: unknown) => {
        store.breaker.failed(ticket);
        notify(options.onBackendError, { limiter: name, backend: store.kind, error });
        return finish(fromMemory(identifier));
      },
    );
  }

  const reportHit = (identifier: string, decision: RateLimitDecision, hooks?: Pick<RateLimitHooks, "onLimitHit">) => {
    if (decision.success) return decision;
    const event: LimitHitEvent = { limiter: name, identifier, backend: decision.backend, limit: decision.limit, reset: decision.reset };
    notify(options.onLimitHit, event);
    notify(hooks?.onLimitHit, event);
    return decision;
  };

  return {
    name,
    policy: { limit, windowMs },
    limit(identifier, hooks) {
      try {
        assertSafeIdentifier(identifier);
        // OPS-4: with the rate_limits flag off every limiter allows every request (nothing is counted).
        if (!isEnabled("rate_limits")) return Promise.resolve({ success: true, limit, remaining: limit, reset: Date.now() + windowMs, backend: "off" });
        return decide(identifier, (decision) => reportHit(identifier, decision, hooks));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
  };
}
