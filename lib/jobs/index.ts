import "server-only";

/**
 * lib/jobs: the one durable job queue (ARCHITECTURE.md "Shared mechanisms"). A job is a row of public.jobs,
 * enqueued in the caller's tenant transaction, claimed by workers with FOR UPDATE SKIP LOCKED under a lease,
 * retried with exponential backoff and jitter, dead-lettered after its last attempt, and run as the service
 * principal of its org (TEN-1 / TEN-2).
 *
 *   const scan = defineJob({ kind: "documents.scan", payload: z.object({ documentId: z.uuid() }), run: async (p, ctx) => ... });
 *   await withTenant(claims, (tx) => enqueue(tx, scan, { orgId, payload: { documentId }, idempotencyKey: documentId }));
 *   const stop = startWorker({ handlers: [scan] });
 *
 * Scheduled maintenance tasks (once per interval across every worker; docs/jobs.md):
 *   const prune = defineSchedule({ name: "webhooks.prune", everyMs: 3_600_000, run: (ctx) => ... });
 *   const stopScheduler = startScheduler({ schedules: [prune] });
 */
export { enqueue, enqueueJob, type EnqueueInput, type EnqueuedJob } from "./enqueue";
export { listJobs, requeueDeadJob, type JobRow } from "./admin";
export { drainJobs, startWorker, type StopWorker, type WorkerOptions } from "./worker";
export { queueStats, type QueueStats } from "./queue";
export { retryDelayMs, DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff";
export {
  defineSchedule,
  registerSchedules,
  runDueSchedules,
  scheduleStatus,
  startScheduler,
  type ScheduleContext,
  type ScheduleDefinition,
  type ScheduleResult,
  type ScheduleRun,
  type ScheduleStatus,
  type SchedulerOptions,
} from "./schedules";
export { defineJob, PermanentJobError, type JobContext, type JobDefinition, type JobInfo, type JobState } from "./types";
