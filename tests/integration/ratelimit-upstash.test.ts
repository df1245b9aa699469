import { randomUUID } from "node:crypto";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { createRateLimiter, createUpstashStore, type BackendErrorEvent } from "@/lib/ratelimit";

/** A local port with nothing listening: connections are refused at once. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe("Upstash REST backend unreachable (RL-2)", () => {
  it("requests are answered from memory, limited; three failures in a row open the breaker, and then Redis is not tried", async () => {
    const errors: BackendErrorEvent[] = [];
    const store = createUpstashStore({ url: `http://127.0.0.1:${await closedPort()}`, token: "test-token" }, { cooldownMs: 60_000 });
    const limiter = createRateLimiter({ name: `upstash-${randomUUID()}`, limit: 3, window: "1 h", store, onBackendError: (e) => void errors.push(e) });

    const results = [];
    for (let i = 0; i < 5; i++) results.push(await limiter.limit("org_1"));
    expect(results.map((r) => [r.success, r.backend])).toEqual([
      [true, "memory"],
      [true, "memory"],
      [true, "memory"],
      [false, "memory"],
      [false, "memory"],
    ]);
    expect(errors).toHaveLength(3);
    expect(errors.every((e) => e.backend === "upstash")).toBe(true);
    expect(store.breaker.state).toBe("open");
  });
});
