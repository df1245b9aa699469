import { withJobRunner } from "@/lib/db";

/**
 * The queue's mechanics, as role `job_runner` (lib/db withJobRunner), whose only privilege is executing these
 * functions: it reads no table itself. Each call is its own short transaction.
 */

export interface ClaimedJob {
  id: string;
  orgId: string;
  kind: string;
  payload: unknown;
  attempt: number;
  maxAttempts: number;
  leaseToken: string;
}

export async function claimJobs(workerId: string, kinds: readonly string[], limit: number, leaseSeconds: number): Promise<ClaimedJob[]> {
  if (kinds.length === 0 || limit < 1) return [];
  const rows = await withJobRunner((tx) =>
    tx.query<{ id: string; org_id: string; kind: string; payload: unknown; attempts: number; max_attempts: number; lease_token: string }>(
      "select id, org_id, kind, payload, attempts, max_attempts, lease_token from private.claim_jobs($1, $2::text[], $3, $4)",
      [workerId, kinds, limit, leaseSeconds],
    ),
  );
  return rows.map((r) => ({ id: r.id, orgId: r.org_id, kind: r.kind, payload: r.payload, attempt: r.attempts, maxAttempts: r.max_attempts, leaseToken: r.lease_token }));
}

async function oneValue<T>(sql: string, params: unknown[]): Promise<T> {
  const [row] = await withJobRunner((tx) => tx.query<{ v: T }>(sql, params));
  return row!.v;
}

export const extendLease = (job: ClaimedJob, leaseSeconds: number) =>
  oneValue<boolean>("select private.extend_job_lease($1, $2, $3) as v", [job.id, job.leaseToken, leaseSeconds]);

export const completeJob = (job: ClaimedJob) => oneValue<boolean>("select private.complete_job($1, $2) as v", [job.id, job.leaseToken]);

/** The job's new state ("pending" for a retry, "dead"), or null when the lease had already been lost. */
export const failJob = (job: ClaimedJob, error: string, retryMs: number, dead: boolean) =>
  oneValue<"pending" | "dead" | null>("select private.fail_job($1, $2, $3, $4, $5) as v", [job.id, job.leaseToken, error, retryMs / 1000, dead]);

export const releaseJob = (job: ClaimedJob) => oneValue<boolean>("select private.release_job($1, $2) as v", [job.id, job.leaseToken]);

export interface QueueStats {
  /** Pending jobs whose time has come. */
  due: number;
  /** Pending jobs waiting for a later run (retries in backoff, scheduled jobs). */
  scheduled: number;
  running: number;
  dead: number;
  /** How long the oldest due job has waited, in seconds (0 when none is due). */
  oldestDueSeconds: number;
}

/** OBS-4: counts across orgs, nothing else. */
export async function queueStats(): Promise<QueueStats> {
  const [row] = await withJobRunner((tx) =>
    tx.query<{ due: number; scheduled: number; running: number; dead: number; oldest_due_seconds: number }>("select * from private.job_queue_stats()"),
  );
  return { due: row!.due, scheduled: row!.scheduled, running: row!.running, dead: row!.dead, oldestDueSeconds: Math.round(row!.oldest_due_seconds) };
}
