import "server-only";
import { env } from "@/lib/env";
import { withTenant } from "@/lib/db";
import type { Session } from "./claims";
import { verifySessionToken, TokenVerificationError } from "./verify";
import { signingKey } from "./embedded/keys";
import { EMBEDDED_ISSUER } from "./embedded/tokens";
import { clerkIssuer, clerkVerificationKey } from "./clerk";


/** The verification settings of the configured provider; both go through verifySessionToken. */
async function verifierOptions() {
  if (env.identityProvider === "clerk") {
    return { key: await clerkVerificationKey(), issuer: clerkIssuer(), authorizedParties: env.authorizedParties };
  }
  return { key: (await signingKey()).verificationKey, issuer: EMBEDDED_ISSUER, authorizedParties: env.authorizedParties };
}

// Provisioning is idempotent; remembering what this instance already did only saves writes.
const provisioned = new Set<string>();

/**
 * Token -> Session, or null. Verifies the signature and rules, then in one tenant transaction checks that an
 * embedded-provider session was not revoked and still matches the membership (IDN-4), and JIT-provisions the
 * local user and membership from Clerk claims (IDN-3).
 */
export async function resolveSession(token: string | null | undefined): Promise<Session | null> {
  if (!token) return null;
  let session: Session;
  try {
    session = await verifySessionToken(token, await verifierOptions());
  } catch (error) {
    if (error instanceof TokenVerificationError) return null;
    throw error;
  }
  // TEN-8: an actor claim counts only while a live consent names that operator for this org (checked per request).
  if (session.actor) return resolveSupportSession(session);
  if (env.identityProvider === "embedded") {
    const current = await withTenant(session.claims, async (tx) => {
      const [row] = await tx.query<{ current: boolean }>("select idp.session_is_current($1, $2, $3, $4) as current", [
        session.sessionId,
        session.userId,
        session.orgId,
        session.orgRole,
      ]);
      return row?.current === true;
    });
    return current ? session : null;
  }
  const provisionKey = `${session.sessionId}:${session.orgId}:${session.orgRole}`;
  // TEN-3: provisioning never undoes a newer Clerk event (a removal or role change applied since the token was
  // issued), and the session counts only while the membership it names exists with that role.
  const current = await withTenant(session.claims, async (tx) => {
    if (!provisioned.has(provisionKey)) await tx.query("select private.provision_from_claims()");
    // IDN-3: a user deleted at Clerk (user.deleted applied) holds no session, with or without an org.
    const [active] = await tx.query<{ active: boolean }>("select private.clerk_user_active() as active");
    if (active?.active !== true) return false;
    if (!session.orgId || !session.orgRole) return true;
    const [row] = await tx.query<{ role: string }>("select role from public.memberships where org_id = $1 and user_id = $2", [session.orgId, session.userId]);
    return row?.role === session.orgRole;
  });
  if (!current) return null;
  provisioned.add(provisionKey);
  return session;
}

/**
 * TEN-8: a support session (Clerk's `act` claim). Embedded provider: the operator's own sign-in session must still be
 * current, and the token's org is the consented one. Clerk actor tokens: the impersonated user's membership is checked
 * as for any Clerk session. Either way a live consent naming `act.sub` for the token's org must exist now; its level
 * (read or read-write) comes from the database, not from the token.
 */
async function resolveSupportSession(session: Session): Promise<Session | null> {
  if (!session.orgId) return null;
  const level = await withTenant(session.claims, async (tx) => {
    const [row] = await tx.query<{ state: string }>("select private.support_state() as state");
    if (row?.state !== "read" && row?.state !== "write") return null;
    if (env.identityProvider === "embedded") {
      const [current] = await tx.query<{ current: boolean }>("select idp.session_is_current($1, $2, null, null) as current", [session.sessionId, session.userId]);
      return current?.current === true && session.claims.sub === session.actor ? row.state : null;
    }
    const [active] = await tx.query<{ active: boolean }>("select private.clerk_user_active() as active");
    if (active?.active !== true) return null;
    const [member] = await tx.query<{ role: string }>("select role from public.memberships where org_id = $1 and user_id = $2", [session.orgId, session.userId]);
    return member?.role === session.orgRole ? row.state : null;
  });
  return level ? { ...session, support: { operatorId: session.actor!, level } } : null;
}
