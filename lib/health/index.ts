import "server-only";
import { env } from "@/lib/env";
import { pingDatabase, runtimeSession } from "@/lib/db";
import { rateLimitStatus } from "@/lib/ratelimit";
import { logger } from "@/lib/observability/logger";
import { configuredScanner, scannerCheck as fileScannerCheck } from "@/lib/files/scanner";
import { queueStats, scheduleStatus, type QueueStats } from "@/lib/jobs";
import { inProcessWorkerRunning } from "@/lib/jobs/in-process";
import { storageCheck, type StorageStatus } from "./storage";
import { verifyKeysAvailable } from "@/lib/crypto";

export { storageCheck, type StorageStatus };

/** OBS-4: dependency checks for /health/ready and the embedded-defaults report for /health/status. Only what exists. */
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
  } catch (error) {
    // Requests only ever say "unavailable"; the probe, which load balancers call steadily, is where an operator
    // learns why (refused, 3D000 missing database, 28P01 login refused, ...). The client still sees none of it.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    logger.warn({ code: (cause as { code?: unknown } | null)?.code, reason: cause instanceof Error ? cause.message : String(cause) }, "readiness: the database did not answer");
    return { status: "down", required: true, detail: "The database did not answer." };
  }
}

/** RL-2: Redis being down is not fatal (the in-memory fallback serves, per instance); it is reported as degraded. */
export function rateLimitCheck(): Check {
  const { backend, breaker } = rateLimitStatus();
  if (backend === "memory") return { status: "ok", required: false, detail: "In-memory rate limiting (no Redis configured)." };
  if (breaker === "open") return { status: "degraded", required: false, detail: `${backend} unreachable: serving from the in-memory fallback.` };
  return { status: "ok", required: false, detail: backend === "upstash" ? "Upstash Redis" : "Redis" };
}

/**
 * FILE-2: the virus scanner (clamd VERSION, or clamscan --version). Listed only when one is configured, and then
 * required: with it down, no upload can leave quarantine.
 */
export async function scannerCheck(): Promise<Check | null> {
  const scanner = configuredScanner();
  if (!scanner) return null;
  const result = await withTimeout(fileScannerCheck(scanner), 10_000).catch(() => ({ status: "down" as const, detail: `${scanner.name} did not answer.` }));
  if (result.status !== "ok") logger.warn({ detail: result.detail }, "readiness: the virus scanner did not answer");
  return { status: result.status === "ok" ? "ok" : "down", required: true, detail: result.status === "ok" ? result.detail : "The virus scanner did not answer." };
}

/**
 * FILE-3: file storage. Not required: with it down, uploads and downloads fail (503/500) but everything else serves,
 * so the instance stays in rotation; readiness says so.
 */
export async function fileStorageCheck(): Promise<Check> {
  const result = await storageCheck();
  return { status: result.status, required: false, detail: result.detail };
}

/**
 * ENC-1: every key-encryption key a stored data key references is configured and unwraps it. Required: an instance
 * that cannot decrypt its tenants' credentials is not ready. The detail names key ids only.
 */
export async function encryptionCheck(): Promise<Check> {
  try {
    const inventory = await withTimeout(verifyKeysAvailable(), 5_000);
    const n = Object.values(inventory.dataKeysByKek).reduce((a, b) => a + b, 0);
    return { status: "ok", required: true, detail: `${n} data key(s); every key-encryption key they reference is configured.` };
  } catch (error) {
    if (error instanceof Error && error.name === "MissingKeyError") {
      logger.error({ reason: error.message }, "readiness: encryption keys missing");
      return { status: "down", required: true, detail: error.message };
    }
    return { status: "down", required: true, detail: "The encryption keys could not be checked (the database did not answer)." };
  }
}

export async function readiness() {
  const checks: Record<string, Check> = {
    database: await databaseCheck(),
    encryption: await encryptionCheck(),
    rateLimiting: rateLimitCheck(),
    storage: await fileStorageCheck(),
  };
  const scanner = await scannerCheck();
  if (scanner) checks.virusScanner = scanner;
  const ready = Object.values(checks).every((c) => !c.required || c.status !== "down");
  return { status: ready ? ("ready" as const) : ("unavailable" as const), checks };
}

/**
 * TEN-1: whether the runtime's database login is a superuser, as the database itself answers (null: it did not).
 * Always so on PGlite, whose session user cannot be another role; on PostgreSQL only if DATABASE_URL names one.
 */
export async function databaseIsolation(): Promise<{ sessionUserIsSuperuser: boolean | null; limitation: string | null }> {
  const superuser = await withTimeout(runtimeSession(), 5_000).then(
    (session) => session.sessionUserIsSuperuser,
    () => null,
  );
  const limitation =
    superuser === true
      ? "The database session logs in as a superuser" +
        (env.databaseEngine === "pglite" ? " (always so on PGlite)" : "") +
        ": row-level security holds only while no request runs SQL that leaves its role (RESET ROLE, SET SESSION AUTHORIZATION). For real tenants use PostgreSQL with a non-superuser DATABASE_URL role."
      : null;
  // VAL-2: PGlite (single-threaded WebAssembly) cannot interrupt a running statement, so statement_timeout is inert.
  const timeLimit = env.databaseEngine === "pglite" ? " Statement time limits are not enforced either: PGlite cannot interrupt a running statement." : "";
  return { sessionUserIsSuperuser: superuser, limitation: limitation && limitation + timeLimit };
}

/**
 * lib/jobs: the queue's depth (due now, scheduled for later, running), dead letters and the oldest due job's wait,
 * as counts across orgs; the scheduled tasks' last outcome and next run; whether this process runs a worker itself.
 * queue and schedules are null when the database did not answer.
 */
export async function jobsReport(): Promise<{
  inProcessWorker: boolean;
  queue: QueueStats | null;
  schedules: { name: string; lastStatus: "succeeded" | "failed" | null; lastFinishedAt: string | null; nextRunAt: string; running: boolean }[] | null;
}> {
  const queue = await withTimeout(queueStats(), 5_000).catch(() => null);
  // Scheduled maintenance tasks (lib/jobs/schedules.ts): whether the last run failed and when the next is due.
  const schedules = await withTimeout(scheduleStatus(), 5_000).then(
    (rows) =>
      rows.map((s) => ({ name: s.name, lastStatus: s.lastStatus, lastFinishedAt: s.lastFinishedAt?.toISOString() ?? null, nextRunAt: s.nextRunAt.toISOString(), running: s.running })),
    () => null,
  );
  return { inProcessWorker: inProcessWorkerRunning(), queue, schedules };
}

/**
 * OBS-4 / FILE-2: the virus scanner as /health/status shows it: off (and why), ok with its engine and signature
 * version, or down. Never its address or path.
 */
export async function scannerReport(): Promise<{ status: "ok" | "down" | "off"; detail: string; signatureVersion: string | null }> {
  const scanner = configuredScanner();
  const result = await withTimeout(fileScannerCheck(scanner), 10_000).catch(() => ({ status: "down" as const, detail: "", signatureVersion: null }));
  if (result.status === "off") return { status: "off", detail: result.detail, signatureVersion: null };
  if (result.status === "ok") return { status: "ok", detail: result.detail, signatureVersion: result.signatureVersion ?? null };
  return { status: "down", detail: "The virus scanner did not answer: uploads stay in quarantine until it does.", signatureVersion: null };
}

/** What runs where, without a single secret: which embedded defaults are in use, and what they cannot enforce. */
export async function status() {
  return {
    version: env.APP_VERSION,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    environment: env.NODE_ENV,
    embeddedDefaults: {
      database: env.databaseEngine === "pglite",
      identityProvider: env.identityProvider === "embedded",
      rateLimiting: !env.REDIS_URL && !env.UPSTASH_REDIS_REST_URL,
      errorReporting: !env.SENTRY_DSN,
      tracing: !env.OTEL_EXPORTER_OTLP_ENDPOINT,
    },
    services: {
      database: env.databaseEngine,
      identityProvider: env.identityProvider,
      rateLimiting: env.UPSTASH_REDIS_REST_URL ? "upstash" : env.REDIS_URL ? "redis" : "memory",
      errorReporting: env.SENTRY_DSN ? "sentry" : "logs only",
      tracing: env.OTEL_EXPORTER_OTLP_ENDPOINT ? "otlp" : "off",
      storage: await storageCheck(),
      scanner: await scannerReport(),
    },
    databaseIsolation: await databaseIsolation(),
    jobs: await jobsReport(),
  };
}
