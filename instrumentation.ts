import * as Sentry from "@sentry/nextjs";

/**
 * Next.js instrumentation hook: runs once per server instance before the first request.
 * OBS-1: Sentry only when SENTRY_DSN is set; OpenTelemetry (OTLP) only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
 * With neither, nothing is initialised and errors are only logged (lib/observability/logger.ts).
 * There is no browser SDK (no instrumentation-client.ts): client code could only read a NEXT_PUBLIC_ DSN.
 */
export async function register() {
  // NEXT_RUNTIME is set by Next.js itself, per bundle, not by deployment configuration (that is lib/env.ts).
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { env, startupWarnings } = await import("@/lib/env");
  const warnings = startupWarnings(env);
  if (warnings.length > 0) {
    const { logger } = await import("@/lib/observability/logger");
    for (const warning of warnings) logger.warn({ scope: "config" }, warning);
  }
  // ENC-1: a missing or wrong key-encryption key stops the server at start, naming the key id.
  if (env.NEXT_PHASE !== "phase-production-build") {
    const { refuseToStartWithoutKeys } = await import("@/lib/crypto/boot");
    await refuseToStartWithoutKeys();
  }
  // lib/jobs: the job worker in this process (JOBS_IN_PROCESS; always with the embedded database, which no other
  // process can reach), never during `next build`.
  if (env.jobsInProcess && env.NEXT_PHASE !== "phase-production-build") {
    const { startInProcessWorker } = await import("@/lib/jobs/in-process");
    startInProcessWorker();
  }
  const sentry = env.SENTRY_DSN !== undefined;
  const otel = env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined;

  if (sentry) {
    const { sentryOptions } = await import("@/lib/observability/sentry-options");
    // Only one tracer provider can be global: with an OTLP endpoint, @vercel/otel owns it and Sentry keeps
    // error reporting (its spans are not sent to Sentry then).
    Sentry.init({ ...sentryOptions(), skipOpenTelemetrySetup: otel });
  }
  if (otel) {
    const { registerOTel } = await import("@vercel/otel");
    // Sentry's context manager keeps its per-request scopes isolated on the OpenTelemetry context, so one
    // request's user or breadcrumbs never end up on another's event.
    registerOTel({ serviceName: "tenantguard", ...(sentry ? { contextManager: new Sentry.SentryContextManager() } : {}) });
  }
}

/** Errors thrown while rendering or in route handlers; a no-op when Sentry was not initialised. */
export const onRequestError = Sentry.captureRequestError;
