import "server-only";
import { createRateLimiter, RATE_LIMIT_CLASSES, signInAccountIdentifier, signInIdentifier, type RateLimitDecision } from "@/lib/ratelimit";
import { recordRateLimitHit } from "@/lib/observability/metrics";
import { logger } from "@/lib/observability/logger";
import { noteSecurityEvent } from "@/lib/audit/alerts";
import { SECURITY_EVENT } from "@/lib/audit/events";
import { env } from "@/lib/env";
import { failureDelayMs, sleep } from "./failure-delay";

/**
 * IDN-5 (sign-in part) / RL-1: password attempts are limited twice, shared across instances through Redis, with
 * identifiers hashed so no email is stored in clear:
 *  - per client IP and email: one address guessing at one account is locked out quickly;
 *  - per account, whatever the address: rotating addresses gets a larger budget, then a lock that ends when the
 *    window slides past the attempts (RATE_LIMIT_CLASSES.signInAccount), so a stranger can hold it at most as long
 *    as they keep spending attempts, and never beyond that.
 * Every attempt counts against both, before the password is checked.
 */
const onLimitHit = (name: "signIn" | "signInAccount") => (e: { identifier: string }) => {
  recordRateLimitHit(name);
  void noteSecurityEvent(SECURITY_EVENT.rateLimited, { subject: `${name}:${e.identifier}`, details: { limiter: name } });
  logger.warn({ scope: "auth", limiter: name }, "sign-in attempts limited");
};
const perAddress = createRateLimiter({ name: "signIn", ...RATE_LIMIT_CLASSES.signIn, onLimitHit: onLimitHit("signIn") });
const perAccount = createRateLimiter({ name: "signInAccount", ...RATE_LIMIT_CLASSES.signInAccount, onLimitHit: onLimitHit("signInAccount") });

/** `attempts`: this window's attempts for the account so far, this one included (for the progressive delay). */
export type SignInThrottle = { allowed: true; attempts: number } | { allowed: false; retryAfterSeconds: number };

export async function signInAllowed(ip: string | null, email: string): Promise<SignInThrottle> {
  return decide(ip, email);
}

/**
 * The same two limits for the second sign-in step (TOTP and recovery codes), with budgets of their own keyed on the
 * user the password step named: guessing six digits costs as many attempts as guessing a password.
 */
export async function secondFactorAllowed(ip: string | null, userId: string): Promise<SignInThrottle> {
  return decide(ip, `second-factor:${userId}`);
}

async function decide(ip: string | null, account: string): Promise<SignInThrottle> {
  const decisions = await Promise.all([perAddress.limit(signInIdentifier(ip ?? "unknown", account)), perAccount.limit(signInAccountIdentifier(account))]);
  const refused = decisions.filter((d) => !d.success);
  if (refused.length === 0) return { allowed: true, attempts: Math.max(...decisions.map((d) => d.limit - d.remaining)) };
  return { allowed: false, retryAfterSeconds: Math.max(...refused.map(retryAfterSeconds)) };
}

function retryAfterSeconds(decision: RateLimitDecision): number {
  return Math.max(1, Math.ceil((decision.reset - Date.now()) / 1000));
}

/** How long to wait before answering a failed attempt (lib/auth/embedded/failure-delay.ts). */
export function delayAfterFailure(throttle: SignInThrottle): Promise<void> {
  return sleep(throttle.allowed ? failureDelayMs(throttle.attempts, env.AUTH_FAILURE_DELAY_MAX_MS) : 0);
}
