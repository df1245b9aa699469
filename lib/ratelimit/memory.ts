/** What every backend answers for one request (the shape of @upstash/ratelimit's response). */
export interface RateLimitResult {
  /** Whether this request may proceed. */
  success: boolean;
  /** Requests allowed per window. */
  limit: number;
  /** Requests left in the current window after this one. */
  remaining: number;
  /** Unix time in milliseconds when the current window ends. */
  reset: number;
}

export interface MemoryRateLimiterOptions {
  limit: number;
  windowMs: number;
  /** Clock, for tests that move time instead of sleeping. */
  now?: () => number;
  /** Identifiers tracked at most: when full, stale counters are swept and, if still full, the oldest half dropped. */
  maxEntries?: number;
}

interface Counter {
  window: number;
  current: number;
  previous: number;
}

/**
 * RL-2: the in-memory limiter, used when no Redis is configured and as the fallback while Redis fails.
 *
 * It runs the same sliding-window algorithm as @upstash/ratelimit's `slidingWindow` Lua script (a counter per
 * fixed window, with the previous window's count weighted by how much of it still overlaps the sliding window),
 * so a request is treated the same whichever backend answers. Its counts live in this process only. While Redis
 * answers, every request Redis allows is counted here too (limiter.ts), so this is always the process's real count.
 */
export class MemoryRateLimiter {
  private readonly counters = new Map<string, Counter>();
  private readonly now: () => number;
  private readonly maxEntries: number;

  constructor(private readonly options: MemoryRateLimiterOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new Error("A rate limit must be a positive integer.");
    if (!(options.windowMs >= 1)) throw new Error("A rate-limit window must be at least 1 ms.");
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 50_000;
  }

  limit(identifier: string): RateLimitResult {
    const { limit, windowMs } = this.options;
    const now = this.now();
    const window = Math.floor(now / windowMs);
    const reset = (window + 1) * windowMs;
    const counter = this.counterFor(identifier, window);

    const previousWeighted = Math.floor((1 - (now % windowMs) / windowMs) * counter.previous);
    if (previousWeighted + counter.current >= limit) {
      return { success: false, limit, remaining: 0, reset };
    }
    counter.current += 1;
    return { success: true, limit, remaining: Math.max(0, limit - (counter.current + previousWeighted)), reset };
  }

  /** Number of identifiers currently tracked (bounded by `maxEntries`). */
  get size(): number {
    return this.counters.size;
  }

  private counterFor(identifier: string, window: number): Counter {
    const existing = this.counters.get(identifier);
    if (existing) {
      if (existing.window !== window) {
        existing.previous = existing.window === window - 1 ? existing.current : 0;
        existing.current = 0;
        existing.window = window;
      }
      return existing;
    }
    if (this.counters.size >= this.maxEntries) this.sweep(window);
    const counter: Counter = { window, current: 0, previous: 0 };
    this.counters.set(identifier, counter);
    return counter;
  }

  /**
   * Memory stays bounded even when a flood of distinct identifiers arrives: counters older than the previous
   * window no longer affect any decision and are dropped; if that is not enough, the oldest entries go (which
   * can only make the limiter more lenient for those identifiers, never block a request it should allow).
   */
  private sweep(window: number): void {
    for (const [identifier, counter] of this.counters) {
      if (counter.window < window - 1) this.counters.delete(identifier);
    }
    if (this.counters.size < this.maxEntries) return;
    let excess = this.counters.size - Math.floor(this.maxEntries / 2);
    for (const identifier of this.counters.keys()) {
      if (excess-- <= 0) break;
      this.counters.delete(identifier);
    }
  }
}
