import { env } from "@/lib/env";
import { logger } from "@/lib/observability/logger";
import { JOB_DEFINITIONS } from "./registry";
import { SCHEDULE_DEFINITIONS } from "./schedule-registry";
import { startScheduler } from "./schedules";
import { startWorker, type StopWorker } from "./worker";

const globalWorker = globalThis as typeof globalThis & { __tenantguardJobWorker?: StopWorker };

/**
 * The worker inside the app's own process (instrumentation.ts): always so on the embedded database, which is one
 * database per process, and by default in development. In production on PostgreSQL, `npm run worker` runs beside
 * `npm start` instead (JOBS_IN_PROCESS=false by default there). Started once per process, kept on globalThis so a
 * dev reload does not start a second one.
 */
export function startInProcessWorker(): void {
  if (!env.jobsInProcess || env.NEXT_PHASE === "phase-production-build" || globalWorker.__tenantguardJobWorker) return;
  if (JOB_DEFINITIONS.length === 0 && SCHEDULE_DEFINITIONS.length === 0) return;
  const stopJobs = startWorker({ handlers: JOB_DEFINITIONS, concurrency: env.JOBS_CONCURRENCY, pollIntervalMs: env.JOBS_POLL_INTERVAL_MS });
  // Scheduled maintenance tasks (lib/jobs/schedules.ts): once per interval across every worker and instance.
  const stopSchedules = startScheduler({ schedules: SCHEDULE_DEFINITIONS });
  const stop: StopWorker = async () => {
    await Promise.all([stopJobs(), stopSchedules()]);
  };
  globalWorker.__tenantguardJobWorker = stop;
  logger.info(
    { scope: "jobs", kinds: JOB_DEFINITIONS.map((d) => d.kind), schedules: SCHEDULE_DEFINITIONS.map((s) => s.name), concurrency: env.JOBS_CONCURRENCY },
    "in-process job worker started",
  );
  process.once("SIGTERM", () => void stop());
}

/** Whether this process runs jobs itself (for /health/status). */
export const inProcessWorkerRunning = (): boolean => globalWorker.__tenantguardJobWorker !== undefined;
