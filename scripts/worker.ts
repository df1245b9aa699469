// `npm run worker`: runs the job queue (lib/jobs) beside `npm start`, against the same PostgreSQL. Start as many as
// needed: several workers on one database never run a job twice at once. SIGTERM or SIGINT stops it gracefully:
// no new job is claimed, running jobs finish within the grace period or are released for another worker.
import { env } from "@/lib/env";
import { closeDb } from "@/lib/db";
import { startScheduler, startWorker } from "@/lib/jobs";
import { JOB_DEFINITIONS } from "@/lib/jobs/registry";
import { SCHEDULE_DEFINITIONS } from "@/lib/jobs/schedule-registry";
import { logger } from "@/lib/observability/logger";

function main() {
  if (env.databaseEngine === "pglite") {
    // PGlite is one database per process: a second process would open another database, whose jobs nobody enqueues.
    console.error("npm run worker needs DATABASE_URL (PostgreSQL). With the embedded database, the app runs its jobs in its own process.");
    process.exit(1);
  }
  const stopJobs = startWorker({ handlers: JOB_DEFINITIONS, concurrency: env.JOBS_CONCURRENCY, pollIntervalMs: env.JOBS_POLL_INTERVAL_MS });
  // Scheduled maintenance tasks (lib/jobs/schedules.ts): each runs once per interval whatever the number of workers.
  const stopSchedules = startScheduler({ schedules: SCHEDULE_DEFINITIONS });
  const stop = () => Promise.all([stopJobs(), stopSchedules()]);
  logger.info(
    { scope: "jobs", kinds: JOB_DEFINITIONS.map((d) => d.kind), schedules: SCHEDULE_DEFINITIONS.map((s) => s.name), concurrency: env.JOBS_CONCURRENCY },
    "job worker started",
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ scope: "jobs", signal }, "job worker stopping");
    stop()
      .then(closeDb)
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ scope: "jobs", err: error }, "job worker did not stop cleanly");
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main();
