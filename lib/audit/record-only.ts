import "server-only";
import { z } from "zod";
import { withTenant } from "@/lib/db";
import type { VerifiedClaims } from "@/lib/auth/claims";
import { defineJob, enqueue } from "@/lib/jobs";
import { logger } from "@/lib/observability/logger";
import { recordAuditWriteFailure } from "@/lib/observability/metrics";
import { raiseSecurityAlert } from "./alerts";
import { SECURITY_EVENT } from "./events";
import { appendAudit, type AuditEntry } from "./writer";

/**
 * AUD-4: on a path that only records (a cross-tenant probe, a read), a failed audit write never fails the user's
 * request. The failure is counted (audit_write_failures_total), alerted (security.audit_write_failed, high) and the
 * entry is queued on the job queue (`audit.retry`), which appends it later in the org's chain as the system actor,
 * naming the principal it records (`changes.recorded_for`). Paths that change something never use this: their
 * entry is written in the change's own transaction, and a failed write rolls the change back.
 */

const retryPayload = z.strictObject({
  action: z.string().regex(/^[a-z][a-z0-9_.]{1,99}$/),
  actorType: z.enum(["user", "api_key", "system", "webhook", "anonymous"]),
  actorId: z.string().max(200).nullable(),
  targetType: z.string().max(100).nullable(),
  targetId: z.string().max(200).nullable(),
  changes: z.record(z.string(), z.unknown()),
  ip: z.string().max(100).nullable(),
  userAgent: z.string().max(512).nullable(),
  requestId: z.string().max(200).nullable(),
  failedAt: z.string(),
});

export const auditRetryJob = defineJob({
  kind: "audit.retry",
  payload: retryPayload,
  maxAttempts: 10,
  async run(entry, ctx) {
    await ctx.withOrg((tx) =>
      appendAudit(tx, {
        orgId: ctx.job.orgId,
        actorType: "system",
        actorId: "audit.retry",
        action: entry.action,
        targetType: entry.targetType,
        targetId: entry.targetId,
        changes: { ...entry.changes, recorded_for: { actor_type: entry.actorType, actor_id: entry.actorId }, failed_at: entry.failedAt },
        ip: entry.ip,
        userAgent: entry.userAgent,
        requestId: entry.requestId,
      }),
    );
  },
});

/** Reports a failed record-only audit write and queues its entry for retry. Never throws. */
export async function auditWriteFailed(claims: VerifiedClaims, entry: AuditEntry, error: unknown): Promise<{ queued: boolean }> {
  recordAuditWriteFailure();
  raiseSecurityAlert(SECURITY_EVENT.auditWriteFailed, { orgId: entry.orgId, requestId: entry.requestId ?? null, details: { action: entry.action } });
  logger.error({ scope: "audit", err: error instanceof Error ? error.message : "error", orgId: entry.orgId, requestId: entry.requestId, action: entry.action }, "audit entry not written; queued for retry");
  try {
    await withTenant(claims, (tx) =>
      enqueue(tx, auditRetryJob, {
        orgId: entry.orgId,
        payload: {
          action: entry.action,
          actorType: entry.actorType,
          actorId: entry.actorId,
          targetType: entry.targetType ?? null,
          targetId: entry.targetId ?? null,
          changes: entry.changes ?? {},
          ip: entry.ip ?? null,
          userAgent: entry.userAgent?.slice(0, 512) ?? null,
          requestId: entry.requestId ?? null,
          failedAt: new Date().toISOString(),
        },
      }),
    );
    return { queued: true };
  } catch (queueError) {
    logger.error({ scope: "audit", err: queueError instanceof Error ? queueError.message : "error", orgId: entry.orgId, action: entry.action }, "audit entry could not be queued for retry either");
    return { queued: false };
  }
}

/** A record-only audit entry in a transaction of its own: written, or reported and queued. Resolves whether it was written. */
export async function recordOnly(claims: VerifiedClaims, entry: AuditEntry): Promise<boolean> {
  try {
    await withTenant(claims, (tx) => appendAudit(tx, entry));
    return true;
  } catch (error) {
    await auditWriteFailed(claims, entry, error);
    return false;
  }
}
