import "server-only";
import { z } from "zod";
import { withTenant } from "@/lib/db";
import type { VerifiedClaims } from "@/lib/auth/claims";
import type { NotFoundError } from "@/lib/errors";
import { appendAudit, type ActorType } from "./writer";
import { logger } from "@/lib/observability/logger";
import { recordAuditWriteFailure } from "@/lib/observability/metrics";

// TEN-4: which security-definer probe tells whether an id the caller cannot see belongs to another org.
const CROSS_TENANT_PROBE: Partial<Record<NotFoundError["resource"], string>> = {
  project: "select private.project_exists_elsewhere($1::uuid) as elsewhere",
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
  const probe = CROSS_TENANT_PROBE[input.error.resource];
  if (!probe || !z.uuid().safeParse(input.error.id).success) return false;
  try {
    return await withTenant(input.claims, async (tx) => {
      const [row] = await tx.query<{ elsewhere: boolean }>(probe, [input.error.id]);
      if (!row?.elsewhere) return false;
      await appendAudit(tx, {
        orgId: input.orgId,
        actorType: input.actorType,
        actorId: input.actorId,
        action: "security.cross_tenant_access",
        targetType: input.error.resource,
        targetId: input.error.id,
        ...input.request,
      });
      return true;
    });
  } catch (error) {
    // AUD-4: a failed audit write never breaks the request path, and is itself reported and counted.
    recordAuditWriteFailure();
    logger.error({ err: error, requestId: input.request.requestId, orgId: input.orgId }, "security event not recorded");
    return false;
  }
}
