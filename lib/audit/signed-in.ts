import "server-only";
import { resolveSession } from "@/lib/auth/session";
import type { RequestContext } from "@/lib/http/request-context";
import { recordOnly } from "./record-only";

/**
 * AUD-3: a completed sign-in (password, TOTP, recovery code or passkey) is recorded in the active org's chain as
 * `auth.signed_in`. It only records, so a failed write never fails the sign-in (AUD-4: counted, alerted, retried).
 */
export async function auditSignedIn(token: string, request: RequestContext): Promise<void> {
  const signedIn = await resolveSession(token).catch(() => null);
  if (!signedIn?.orgId) return;
  await recordOnly(signedIn.claims, {
    orgId: signedIn.orgId,
    actorType: "user",
    actorId: signedIn.userId,
    action: "auth.signed_in",
    targetType: "session",
    targetId: signedIn.sessionId,
    ...request,
  });
}
