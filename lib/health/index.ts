import "server-only";
import { env } from "@/lib/env";
import { pingDatabase } from "@/lib/db";
import { rateLimitStatus } from "@/lib/ratelimit";

/** OBS-4: dependency checks for /health/ready and the embedded-defaults report for /health/status. */
export type CheckStatus = "ok" | "down" | "degraded" | "off";

export interface Check {
  status: CheckStatus;
  required: boolean;
  detail: string;
}

const startedAt = Date.now();

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error("timed out")), ms).unref())]);
}

export async function databaseCheck(): Promise<Check> {
  try {
    await withTimeout(pingDatabase(), 5_000);
    return { status: "ok", required: true, detail: env.databaseEngine === "postgres" ? "PostgreSQL" : "PGlite (embedded)" };
  } catch {
    return { status: "down", required: true, detail: "The database did not answer." };
  }
}

export function virusScannerCheck(): Check {
  // FILE-2 arrives with uploads; until ClamAV is configured, scanning is OFF and said so loudly.
  return { status: "off", required: false, detail: "ClamAV is not configured: uploads would stay pending, never served." };
}

/** RL-2: Redis being down is not fatal (the in-memory fallback serves, per instance); it is reported as degraded. */
export function rateLimitCheck(): Check {
  const { backend, breaker } = rateLimitStatus();
  if (backend === "memory") return { status: "ok", required: false, detail: "In-memory rate limiting (no Redis configured)." };
  if (breaker === "open") return { status: "degraded", required: false, detail: `${backend} unreachable: serving from the in-memory fallback.` };
  return { status: "ok", required: false, detail: backend === "upstash" ? "Upstash Redis" : "Redis" };
}

export async function readiness() {
  const checks: Record<string, Check> = {
    database: await databaseCheck(),
    rateLimiting: rateLimitCheck(),
    virusScanner: virusScannerCheck(),
  };
  const ready = Object.values(checks).every((c) => !c.required || c.status !== "down");
  return { status: ready ? ("ready" as const) : ("unavailable" as const), checks };
}

/** What runs where, without a single secret: which embedded defaults are in use. */
export function status() {
  return {
    version: env.APP_VERSION,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    environment: env.NODE_ENV,
    embeddedDefaults: {
      database: env.databaseEngine === "pglite",
      identityProvider: env.identityProvider === "embedded",
      rateLimiting: !env.REDIS_URL && !env.UPSTASH_REDIS_REST_URL,
      fileStorage: true,
      virusScanner: true,
      errorReporting: !env.SENTRY_DSN,
      tracing: !env.OTEL_EXPORTER_OTLP_ENDPOINT,
    },
    services: {
      database: env.databaseEngine,
      identityProvider: env.identityProvider,
      rateLimiting: env.UPSTASH_REDIS_REST_URL ? "upstash" : env.REDIS_URL ? "redis" : "memory",
      errorReporting: env.SENTRY_DSN ? "sentry" : "logs only",
      tracing: env.OTEL_EXPORTER_OTLP_ENDPOINT ? "otlp" : "off",
    },
  };
}
