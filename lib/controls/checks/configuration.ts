import "server-only";
import { env as appEnv, type Env } from "@/lib/env";
import { rateLimitStatus, type BreakerState } from "@/lib/ratelimit";
import type { CheckResult } from "../live-checks";

type Deployment = Pick<Env, "NODE_ENV" | "ALLOW_EMBEDDED_IN_PRODUCTION" | "databaseEngine" | "identityProvider">;

/**
 * RL-2: limits are shared by every instance only through Redis/Upstash. In production, per-instance memory lets N
 * instances admit N times each limit: a failure, unless the deployment is marked as a single-instance demo.
 */
export function checkRateLimitBackend(
  input: { status?: { backend: "redis" | "upstash" | "memory"; breaker: BreakerState | "n/a" }; env?: Deployment } = {},
): CheckResult {
  const { backend, breaker } = input.status ?? rateLimitStatus();
  const env = input.env ?? appEnv;
  const production = env.NODE_ENV === "production";
  if (backend === "memory") {
    if (!production) return { status: "pass", detail: "In-memory rate limits (no Redis configured): right for one development instance." };
    if (env.ALLOW_EMBEDDED_IN_PRODUCTION) return { status: "warn", detail: "Demo deployment: rate limits are in this instance's memory and not shared." };
    return { status: "fail", detail: "Production rate limits are in this instance's memory: every instance admits the full limit. Configure REDIS_URL or Upstash." };
  }
  const name = backend === "upstash" ? "Upstash Redis" : "Redis";
  if (breaker === "open") return { status: "warn", detail: `${name} is failing: limits are served from this instance's memory until it answers again.` };
  return { status: "pass", detail: `Rate limits shared through ${name}${breaker === "half-open" ? " (recovering: probing the backend)" : ""}.` };
}

/** IDN-2 / ENC-3: embedded components (PGlite, the embedded identity provider) in production only for a declared demo. */
export function checkEmbeddedInProduction(env: Deployment = appEnv): CheckResult {
  const embedded = [env.databaseEngine === "pglite" && "PGlite", env.identityProvider === "embedded" && "the embedded identity provider"].filter(
    (c): c is string => Boolean(c),
  );
  if (env.NODE_ENV !== "production") {
    return { status: "not_applicable", detail: `Not production (${env.NODE_ENV})${embedded.length ? `; embedded: ${embedded.join(", ")}` : ""}.` };
  }
  if (embedded.length === 0) return { status: "pass", detail: "Production uses PostgreSQL and Clerk: no embedded component." };
  if (env.ALLOW_EMBEDDED_IN_PRODUCTION) return { status: "warn", detail: `Demo deployment (ALLOW_EMBEDDED_IN_PRODUCTION): ${embedded.join(" and ")} in production; never for real tenants.` };
  return { status: "fail", detail: `Production runs ${embedded.join(" and ")} without being marked as a demo.` };
}
