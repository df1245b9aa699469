import { z } from "zod";
import type { Queryable } from "@/lib/db";
import { JOB_KIND, type JobDefinition } from "./types";

export const enqueueInput = z.strictObject({
  kind: z.string().regex(JOB_KIND, "a job kind is lower-case letters, digits, '_' and '.'"),
  orgId: z.string().min(1).max(80),
  payload: z.record(z.string(), z.unknown()).default({}),
  idempotencyKey: z.string().min(1).max(255).optional(),
  runAt: z.date().optional(),
  maxAttempts: z.number().int().min(1).max(25).optional(),
});
export type EnqueueInput = z.input<typeof enqueueInput>;

export interface EnqueuedJob {
  /** The job's id; null only when an equal job already existed and the caller may not read it (another member's). */
  id: string | null;
  /** False when (org, kind, idempotency key) already named a job: nothing new was enqueued. */
  created: boolean;
}

/**
 * Enqueues a job IN THE CALLER'S TRANSACTION (a tenant transaction from withTenant): it exists if and only if that
 * transaction commits. Row-level security lets a principal enqueue only for the org of its own verified claims, and
 * only a fresh pending job (the state, attempts and lease columns are not insertable). With an idempotency key, the
 * same (org, kind, key) enqueued twice yields one job.
 */
export async function enqueueJob(tx: Queryable, input: EnqueueInput): Promise<EnqueuedJob> {
  const job = enqueueInput.parse(input);
  const [inserted] = await tx.query<{ id: string }>(
    `insert into public.jobs (org_id, kind, payload, idempotency_key, run_at, max_attempts, created_by)
     values ($1, $2, $3::jsonb, $4, coalesce($5::timestamptz, now()), coalesce($6::int, 5), private.subject())
     on conflict (org_id, kind, idempotency_key) do nothing
     returning id`,
    [job.orgId, job.kind, JSON.stringify(job.payload), job.idempotencyKey ?? null, job.runAt?.toISOString() ?? null, job.maxAttempts ?? null],
  );
  if (inserted) return { id: inserted.id, created: true };
  const [existing] = await tx.query<{ id: string }>("select id from public.jobs where org_id = $1 and kind = $2 and idempotency_key = $3", [
    job.orgId,
    job.kind,
    job.idempotencyKey ?? null,
  ]);
  return { id: existing?.id ?? null, created: false };
}

/**
 * enqueueJob for a defined kind: the payload is checked against the kind's schema first (VAL-1 at the source), so a
 * malformed job is refused in the request that would have created it.
 */
export function enqueue<S extends z.ZodType>(
  tx: Queryable,
  definition: JobDefinition<S>,
  input: { orgId: string; payload: z.input<S>; idempotencyKey?: string; runAt?: Date },
): Promise<EnqueuedJob> {
  const payload = definition.payload.parse(input.payload) as Record<string, unknown>;
  return enqueueJob(tx, { ...input, kind: definition.kind, payload, maxAttempts: definition.maxAttempts });
}
