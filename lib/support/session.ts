import "server-only";
import { env } from "@/lib/env";
import { withTenant } from "@/lib/db";
import { appendAudit } from "@/lib/audit/writer";
import { SUPPORT_ROLE, type Session } from "@/lib/auth/claims";
import { resolveSession } from "@/lib/auth/session";
import { issueSessionToken } from "@/lib/auth/embedded/tokens";
import { organizationsOf, sessionFactors, type IssuedSession } from "@/lib/auth/embedded/sign-in";
import type { RequestContext } from "@/lib/http/request-context";
import { listMyConsents } from "./queries";
import { startSupportSchema } from "./schemas";
import { plainIssueMessage } from "@/lib/validation/messages";

export type StartOutcome =
  | { ok: true; issued: IssuedSession; session: Session }
  | { ok: false; message: string };

const MIN_SECONDS = 60;

/**
 * TEN-8 (embedded provider): an operator signed in as themselves starts a support session in an org whose live consent
 * names them. The new token is the same sign-in session with the consented org (`o.rol = support`) and Clerk's actor
 * claim (`act.sub` = the operator); it expires no later than the consent and the sign-in session. The start is audited
 * in the org's chain, from inside the new session (so its entry names the operator as actor and act_sub).
 * With Clerk, operators use Clerk's impersonation (actor tokens) instead; the same consent check applies to them.
 */
export async function startSupportSession(session: Session | null, rawInput: unknown, request: RequestContext): Promise<StartOutcome> {
  const refused = { ok: false as const, message: "There is no live support consent for you in that organisation." };
  if (!session) return { ok: false, message: "Sign in first." };
  if (env.identityProvider !== "embedded") return { ok: false, message: "With Clerk, support sessions start from Clerk's impersonation (actor tokens)." };
  if (session.actor) return { ok: false, message: "End the current support session first." };
  const parsed = startSupportSchema.safeParse(rawInput, { error: plainIssueMessage });
  if (!parsed.success) return refused;

  const consent = (await withTenant(session.claims, listMyConsents)).find((c) => c.org_id === parsed.data.orgId);
  if (!consent) return refused;
  // The token lasts until the consent ends (never refreshed into another support token); the sign-in session's own
  // expiry and revocation, the consent and the operator list are checked on every request (resolveSession).
  const until = Math.min(new Date(consent.expires_at).getTime(), Date.now() + env.SESSION_TTL_SECONDS * 1000);
  const ttlSeconds = Math.floor((until - Date.now()) / 1000);
  if (ttlSeconds < MIN_SECONDS) return refused;
  const factors = await sessionFactors(session.sessionId, session.userId);
  if (!factors) return refused;

  const issued = await issueSessionToken({
    userId: session.userId,
    sessionId: session.sessionId,
    org: { id: consent.org_id, role: SUPPORT_ROLE, slug: consent.org_slug },
    act: { sub: session.userId },
    ttlSeconds,
    factors,
  });
  // The verifier and the live consent check, exactly as every later request of this session goes through them.
  const support = await resolveSession(issued.token);
  if (!support?.support) return refused;
  await withTenant(support.claims, (tx) =>
    appendAudit(tx, {
      orgId: consent.org_id,
      actorType: "user",
      actorId: session.userId,
      action: "support.session_started",
      targetType: "support_grant",
      targetId: consent.id,
      changes: { level: support.support!.level, expiresAt: issued.expiresAt.toISOString() },
      ...request,
    }),
  );
  return { ok: true, issued, session: support };
}

/**
 * Ends a support session: audited in the org's chain while the consent is still live (after expiry or revocation
 * the database refuses the session altogether), then a plain token for the same sign-in session.
 */
export async function endSupportSession(session: Session | null, request: RequestContext): Promise<IssuedSession | null> {
  if (!session || !session.actor || !session.orgId) return null;
  if (session.support) {
    await withTenant(session.claims, (tx) =>
      appendAudit(tx, { orgId: session.orgId!, actorType: "user", actorId: session.userId, action: "support.session_ended", targetType: "organization", targetId: session.orgId, ...request }),
    );
  }
  if (env.identityProvider !== "embedded") return null;
  // The sign-in session's own expiry is still checked on every request (idp.session_is_current).
  // IDN-6: a short-lived token like any other, with the session's recorded factors; the refresh token renews it.
  const factors = await sessionFactors(session.sessionId, session.userId);
  if (!factors) return null;
  const own = (await organizationsOf(session.userId))[0];
  return issueSessionToken({
    userId: session.userId,
    sessionId: session.sessionId,
    org: own ? { id: own.id, role: own.role, slug: own.slug } : null,
    ttlSeconds: env.SESSION_TOKEN_TTL_SECONDS,
    factors,
  });
}
