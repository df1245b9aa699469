import { z } from "zod";
import type { Queryable } from "@/lib/db";
import type { JobState } from "./types";

export interface JobRow {
  id: string;
  kind: string;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  runAt: Date;
  createdAt: Date;
  finishedAt: Date | null;
}

const listInput = z.strictObject({
  state: z.enum(["pending", "running", "succeeded", "dead"]).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

/**
 * The org's jobs, newest first (the dead-letter view: `{ state: "dead" }`), in a tenant transaction: row-level
 * security shows owners and admins their org's jobs, a member only the jobs it enqueued, and nobody another org's.
 * The payload is not returned.
 */
export async function listJobs(tx: Queryable, input: z.input<typeof listInput> = {}): Promise<JobRow[]> {
  const { state, limit } = listInput.parse(input);
  const rows = await tx.query<{
    id: string;
    kind: string;
    state: JobState;
    attempts: number;
    max_attempts: number;
    last_error: string | null;
    run_at: Date;
    created_at: Date;
    finished_at: Date | null;
  }>(
    `select id, kind, state, attempts, max_attempts, last_error, run_at, created_at, finished_at
       from public.jobs
      where ($1::text is null or state = $1)
      order by created_at desc
      limit $2`,
    [state ?? null, limit],
  );
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    state: r.state,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    lastError: r.last_error,
    runAt: new Date(r.run_at),
    createdAt: new Date(r.created_at),
    finishedAt: r.finished_at === null ? null : new Date(r.finished_at),
  }));
}

/**
 * Re-queues a dead job of the caller's org as a fresh pending job (attempts back to 0; its last error is kept until
 * it runs). Row-level security allows it to owners and admins only. False when no such dead job is visible to them.
 */
export async function requeueDeadJob(tx: Queryable, jobId: string): Promise<boolean> {
  const id = z.uuid().parse(jobId);
  const rows = await tx.query(
    `update public.jobs set state = 'pending', attempts = 0, run_at = now(), finished_at = null, updated_at = now()
      where id = $1 and state = 'dead'
      returning id`,
    [id],
  );
  return rows.length === 1;
}
