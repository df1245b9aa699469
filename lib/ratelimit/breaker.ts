export type BreakerState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions {
  /** How long Redis is left alone after a failure before one probe request tries it again (ms). */
  cooldownMs: number;
  /** Clock, for tests. */
  now?: () => number;
  onStateChange?: (state: BreakerState) => void;
}

/** Permission to call Redis for one request; `probe` marks the single trial call after a cool-down. */
export interface BreakerTicket {
  readonly probe: boolean;
}

/**
 * RL-2: keeps a failing Redis off the request path.
 *
 * closed    -> every request calls Redis; a failure (error or timeout) opens the breaker.
 * open      -> no request calls Redis (they are answered from memory at once) until `cooldownMs` has passed;
 *              then exactly one request becomes the probe and the breaker is half-open.
 * half-open -> only the probe is out; its success closes the breaker, its failure re-opens it for another
 *              cool-down. Everyone else is still answered from memory meanwhile.
 */
export class CircuitBreaker {
  private current: BreakerState = "closed";
  private openedAt = 0;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
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
    // Only the probe may close an open breaker: a slow call that began before the failure proves nothing.
    if (ticket.probe) this.transition("closed");
  }

  failed(_ticket: BreakerTicket): void {
    this.openedAt = this.now();
    this.transition("open");
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
