import "server-only";
import { z } from "zod";
import type { Session } from "@/lib/auth/claims";
import { revokeSession } from "@/lib/auth/embedded/sign-in";
import { recordCrossTenantProbe } from "@/lib/audit/security-events";
import { NotFoundError } from "@/lib/errors";
import type { RequestContext } from "@/lib/http/request-context";

const sessionId = z.string().regex(/^sess_[A-Za-z0-9]{16,64}$/);

/**
 * IDN-4: revoke one of the signed-in user's own sessions (RLS: sessions_revoke_own). TEN-4: another user's session
 * id answers like a missing one, and the attempt is a security event in the caller's org (the probe tells an
 * already-revoked own session from another user's).
 */
export async function revokeOwnSession(session: Session, rawId: unknown, request: RequestContext): Promise<"revoked" | "not_found"> {
  const id = sessionId.safeParse(rawId);
  if (!id.success) return "not_found";
  if (await revokeSession(session, id.data)) return "revoked";
  if (session.orgId) {
    await recordCrossTenantProbe({
      claims: session.claims,
      orgId: session.orgId,
      actorType: "user",
      actorId: session.userId,
      error: new NotFoundError("session", id.data),
      request,
    });
  }
  return "not_found";
}
