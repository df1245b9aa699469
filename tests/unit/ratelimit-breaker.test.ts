import { describe, expect, it } from "vitest";
import { CircuitBreaker, type BreakerState } from "@/lib/ratelimit/breaker";

function breaker(cooldownMs = 5_000, failureThreshold = 1) {
  const time = { now: 1_000_000 };
  const states: BreakerState[] = [];
  const b = new CircuitBreaker({ cooldownMs, failureThreshold, now: () => time.now, onStateChange: (s) => void states.push(s) });
  return { b, time, states };
}

describe("rate-limit circuit breaker (RL-2)", () => {
  it("one slow or failed reply does not open it: only `failureThreshold` failures in a row do (default 3)", () => {
    const b = new CircuitBreaker({ cooldownMs: 5_000 });
    b.failed(b.acquire()!);
    expect(b.state).toBe("closed");
    b.failed(b.acquire()!);
    expect(b.state).toBe("closed");
    // A call answered in time in between: Redis is alive, the run of failures starts again.
    b.succeeded(b.acquire()!);
    b.failed(b.acquire()!);
    b.failed(b.acquire()!);
    expect(b.state).toBe("closed");
    expect(b.acquire()).toEqual({ probe: false });
    b.failed(b.acquire()!);
    expect(b.state).toBe("open");
    expect(b.acquire()).toBeNull();
  });

  it("after it has re-closed, a single failure again does not open it", () => {
    const time = { now: 0 };
    const b = new CircuitBreaker({ cooldownMs: 100, failureThreshold: 2, now: () => time.now });
    b.failed(b.acquire()!);
    b.failed(b.acquire()!);
    expect(b.state).toBe("open");
    time.now = 100;
    b.succeeded(b.acquire()!);
    expect(b.state).toBe("closed");
    b.failed(b.acquire()!);
    expect(b.state).toBe("closed");
  });

  it("refuses a threshold that is not a positive integer", () => {
    expect(() => new CircuitBreaker({ cooldownMs: 1, failureThreshold: 0 })).toThrow(/failureThreshold/);
  });

  it("once open, Redis is not called again until the cool-down has passed", () => {
    const { b, time } = breaker();
    const ticket = b.acquire();
    expect(ticket).toEqual({ probe: false });
    b.failed(ticket!);
    expect(b.state).toBe("open");
    for (const elapsed of [0, 1, 2_500, 4_999]) {
      time.now = 1_000_000 + elapsed;
      expect(b.acquire()).toBeNull();
    }
  });

  it("after the cool-down exactly one probe goes out; its success closes the breaker", () => {
    const { b, time, states } = breaker();
    b.failed(b.acquire()!);
    time.now += 5_000;
    const probe = b.acquire();
    expect(probe).toEqual({ probe: true });
    // While the probe is out, everyone else is still served from memory.
    expect(b.acquire()).toBeNull();
    expect(b.acquire()).toBeNull();
    b.succeeded(probe!);
    expect(b.state).toBe("closed");
    expect(b.acquire()).toEqual({ probe: false });
    expect(states).toEqual(["open", "half-open", "closed"]);
  });

  it("a failed probe re-opens the breaker for another full cool-down", () => {
    const { b, time } = breaker();
    b.failed(b.acquire()!);
    time.now += 5_000;
    b.failed(b.acquire()!);
    expect(b.state).toBe("open");
    time.now += 4_999;
    expect(b.acquire()).toBeNull();
    time.now += 1;
    expect(b.acquire()).toEqual({ probe: true });
  });

  it("a slow call that started before the outage cannot close the breaker", () => {
    const { b } = breaker();
    const early = b.acquire()!;
    const other = b.acquire()!;
    b.failed(other);
    b.succeeded(early);
    expect(b.state).toBe("open");
    expect(b.acquire()).toBeNull();
  });
});
