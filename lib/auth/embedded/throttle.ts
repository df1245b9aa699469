import "server-only";
import { createRateLimiter, RATE_LIMIT_CLASSES, signInIdentifier } from "@/lib/ratelimit";
import { recordRateLimitHit } from "@/lib/observability/metrics";
import { logger } from "@/lib/observability/logger";

/**
 * IDN-5 (sign-in part) / RL-1: password attempts are limited per client IP and email (hashed, never stored in
 * clear), shared across instances through Redis; once the window is used up the pair is locked out until it slides.
 */
const limiter = createRateLimiter({
  name: "signIn",
  ...RATE_LIMIT_CLASSES.signIn,
  onLimitHit: () => {
    recordRateLimitHit("signIn");
    logger.warn({ scope: "auth" }, "sign-in attempts limited");
  },
});

export async function signInAllowed(ip: string | null, email: string): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }> {
  const decision = await limiter.limit(signInIdentifier(ip ?? "unknown", email));
  if (decision.success) return { allowed: true };
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((decision.reset - Date.now()) / 1000)) };
}
