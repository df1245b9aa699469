import { describe, expect, it } from "vitest";
import { signInAllowed } from "@/lib/auth/embedded/throttle";
import { RATE_LIMIT_CLASSES } from "@/lib/ratelimit";
import { uid } from "../helpers/tenants";

describe("sign-in attempts are limited per IP and email (IDN-5, RL-1)", () => {
  it("locks the pair out after the allowed attempts, without affecting other emails or IPs", async () => {
    const email = `victim-${uid()}@example.test`;
    const ip = "203.0.113.50";
    for (let i = 0; i < RATE_LIMIT_CLASSES.signIn.limit; i++) expect(await signInAllowed(ip, email)).toEqual({ allowed: true });
    const blocked = await signInAllowed(ip, email);
    expect(blocked.allowed).toBe(false);
    if (!blocked.allowed) expect(blocked.retryAfterSeconds).toBeGreaterThan(0);
    expect(await signInAllowed(ip, `other-${uid()}@example.test`)).toEqual({ allowed: true });
    expect(await signInAllowed("203.0.113.51", email)).toEqual({ allowed: true });
  });
});
