export type BreakerState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions {
  /** How long Redis is left alone after it is judged down before one probe request tries it again (ms). */
  cooldownMs: number;
  /** Consecutive failed or timed-out calls, with no call answered in time between them, that open the breaker. Default 3. */
  failureThreshold?: number;
  /** Clock, for tests. */
  now?: () => number;
  onStateChange?: (state: BreakerState) => void;
}

/** Permission to call Redis for one request; `probe` marks the single trial call after a cool-down. */
export interface BreakerTicket {
  readonly probe: boolean;
}

export const DEFAULT_FAILURE_THRESHOLD = 3;

/**
 * RL-2: keeps a failing Redis off the request path.
 *
 * closed    -> every request calls Redis. A failure (error or timeout) is answered from memory and counted; only
 *              `failureThreshold` failures in a row, with no call answered in time between them, open the breaker.
 *              One slow reply (a loaded host, a GC pause in Redis) is one failure: Redis stays in use.
 * open      -> no request calls Redis (they are answered from memory at once) until `cooldownMs` has passed;
 *              then exactly one request becomes the probe and the breaker is half-open.
 * half-open -> only the probe is out; its success closes the breaker, its failure re-opens it for another
 *              cool-down. Everyone else is still answered from memory meanwhile.
 *
 * Whichever state it is in, the in-memory limiter has counted every request this instance let through
 * (limiter.ts), so opening the breaker never resets a count.
 */
export class CircuitBreaker {
  private current: BreakerState = "closed";
  private openedAt = 0;
  private consecutiveFailures = 0;
  private readonly now: () => number;
  private readonly failureThreshold: number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
    this.failureThreshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) throw new Error("failureThreshold must be a positive integer.");
  }

  get state(): BreakerState {
    return this.current;
  }

  /** A ticket to call Redis, or null when this request must not (serve it from memory). */
  acquire(): BreakerTicket | null {
    if (this.current === "closed") return { probe: false };
    if (this.current === "open" && this.now() - this.openedAt >= this.options.cooldownMs) {
      this.transition("half-open");
      return { probe: true };
    }
    return null;
  }

  succeeded(ticket: BreakerTicket): void {
    if (this.current === "closed") this.consecutiveFailures = 0;
    // Only the probe may close an open breaker: a slow call that began before the failure proves nothing.
    if (ticket.probe) this.close();
  }

  failed(ticket: BreakerTicket): void {
    if (this.current === "closed" && !ticket.probe) {
      this.consecutiveFailures += 1;
      if (this.consecutiveFailures < this.failureThreshold) return;
    }
    this.openedAt = this.now();
    this.transition("open");
  }

  private close(): void {
    this.consecutiveFailures = 0;
    this.transition("closed");
  }

  private transition(state: BreakerState): void {
    if (this.current === state) return;
    this.current = state;
    try {
      this.options.onStateChange?.(state);
    } catch {
      // An observer's failure must not change how requests are limited.
    }
  }
}
