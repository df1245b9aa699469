import "server-only";
import { z } from "zod";
import { defineAction } from "@/lib/actions/pipeline";
import type { Queryable } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { listJobs, requeueDeadJob, type JobRow } from "./admin";

/**
 * The dashboard's dead-letter view and its retry, for owners and admins (TEN-3 in the page and action pipelines;
 * row-level security decides which jobs exist for them: their own org's, never another's).
 */

export interface JobsOverview {
  /** Dead jobs: every attempt failed (or the failure was permanent); they run again only if re-queued. */
  dead: JobRow[];
  /** Jobs that failed at least once and will be retried (pending with a back-off, or running again now). */
  retrying: JobRow[];
}

export async function jobsOverview(tx: Queryable): Promise<JobsOverview> {
  const dead = await listJobs(tx, { state: "dead", limit: 100 });
  const recent = await listJobs(tx, { limit: 200 });
  const retrying = recent.filter((j) => (j.state === "pending" || j.state === "running") && j.attempts > 0 && j.lastError !== null);
  return { dead, retrying };
}

/**
 * Re-queues one dead job of the caller's org as a fresh pending job, audited as `job.requeued` (AUD-3). A job that
 * is not dead, or that the caller cannot see (another org's), is the same "not found" (TEN-4).
 */
export const retryDeadJob = defineAction({
  name: "jobs.requeue",
  schema: z.object({ id: z.uuid({ error: "That job does not exist." }) }),
  minimumRole: "admin",
  run: async ({ input, tx, audit }) => {
    if (!(await requeueDeadJob(tx, input.id))) throw new AppError("not_found", "That job does not exist or is no longer dead.");
    const [job] = await tx.query<{ kind: string }>("select kind from public.jobs where id = $1", [input.id]);
    await audit({ action: "job.requeued", targetType: "job", targetId: input.id, changes: { kind: job?.kind ?? null } });
    return { id: input.id };
  },
});
