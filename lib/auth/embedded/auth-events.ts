import "server-only";
import { createHash } from "node:crypto";
import { withEmbeddedIdp } from "@/lib/db";
import { logger } from "@/lib/observability/logger";
import { recordAuditWriteFailure } from "@/lib/observability/metrics";
import type { RequestContext } from "@/lib/http/request-context";

export type AuthEventKind = "sign_in.failed" | "sign_in.locked" | "second_factor.failed" | "second_factor.locked" | "recovery_code.used" | "refresh.reuse_detected";

/** An email as the events name it: SHA-256 of the normalised address (domain-separated), never the address itself. */
export function accountHash(email: string): string {
  return createHash("sha256").update(`auth-events:${email.trim().toLowerCase()}`).digest("hex");
}

/**
 * AUD-3: authentication events that happen before a session exists (failed passwords and second factors,
 * lockouts, recovery codes used), in idp.auth_events. Never throws: a failure to record is logged and counted,
 * and the sign-in answers as it would have.
 */
export async function recordAuthEvent(input: { kind: AuthEventKind; userId: string | null; account: string | null; request: Pick<RequestContext, "ip" | "userAgent"> }): Promise<void> {
  try {
    await withEmbeddedIdp((tx) =>
      tx.query("select idp.record_auth_event($1, $2, $3, $4, $5)", [
        input.kind,
        input.userId,
        input.account === null ? null : accountHash(input.account),
        input.request.ip,
        input.request.userAgent,
      ]),
    );
  } catch (error) {
    recordAuditWriteFailure();
    logger.error({ scope: "auth", err: error, kind: input.kind }, "authentication event not recorded");
  }
}
