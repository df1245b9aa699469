import "server-only";
import { z } from "zod";
import { withTenant } from "@/lib/db";
import type { VerifiedClaims } from "@/lib/auth/claims";
import type { NotFoundError, ResourceKind } from "@/lib/errors";
import { appendAudit, type ActorType, type AuditEntry } from "./writer";
import { auditWriteFailed } from "./record-only";
import { SECURITY_EVENT } from "./events";
import { logger } from "@/lib/observability/logger";
import { recordAuditWriteFailure } from "@/lib/observability/metrics";

// TEN-4: the id shapes the probe accepts; anything else cannot name a row anywhere (and is not sent to the database).
const ID_SHAPE: Record<ResourceKind, z.ZodType> = {
  project: z.uuid(),
  document: z.uuid(),
  api_key: z.uuid(),
  session: z.string().regex(/^sess_[A-Za-z0-9]{16,64}$/),
};

/**
 * TEN-4: a 404 for an id that exists in another org is a security event, recorded in the caller's own audit
 * chain in a transaction of its own (the request's transaction was rolled back). Never throws: the caller
 * still answers 404, and a failure to record is logged and counted (audit_write_failures_total).
 */
export async function recordCrossTenantProbe(input: {
  claims: VerifiedClaims;
  orgId: string;
  actorType: ActorType;
  actorId: string;
  error: NotFoundError;
  request: { ip: string | null; userAgent: string | null; requestId: string | null };
}): Promise<boolean> {
  const { resource, id } = input.error;
  if (!ID_SHAPE[resource].safeParse(id).success) return false;
  const entry: AuditEntry = {
    orgId: input.orgId,
    actorType: input.actorType,
    actorId: input.actorId,
    action: SECURITY_EVENT.crossTenantAccess,
    targetType: input.error.resource,
    targetId: input.error.id,
    ...input.request,
  };
  let confirmed = false;
  try {
    return await withTenant(input.claims, async (tx) => {
      // A security-definer check that answers only "exists in another org (or, for a session, another user's)".
      const [row] = await tx.query<{ elsewhere: boolean }>("select private.exists_elsewhere($1, $2) as elsewhere", [resource, id]);
      if (!row?.elsewhere) return false;
      confirmed = true;
      await appendAudit(tx, entry);
      return true;
    });
  } catch (error) {
    // AUD-4: a failed audit write never breaks the request path; it is counted, alerted and queued for retry.
    if (confirmed) {
      await auditWriteFailed(input.claims, entry, error);
    } else {
      recordAuditWriteFailure();
      logger.error({ err: error, requestId: input.request.requestId, orgId: input.orgId }, "security event not recorded");
    }
    return false;
  }
}
