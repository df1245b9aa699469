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
 * embedded-provider session was not revoked (IDN-4) and JIT-provisions the local user and membership (IDN-3).
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
  const provisionKey = `${session.sessionId}:${session.orgId}:${session.orgRole}`;
  const embedded = env.identityProvider === "embedded";
  if (!embedded && provisioned.has(provisionKey)) return session;

  const active = await withTenant(session.claims, async (tx) => {
    if (embedded) {
      const [row] = await tx.query<{ active: boolean }>("select idp.session_is_active($1, $2) as active", [session.sessionId, session.userId]);
      if (!row?.active) return false;
    }
    if (!provisioned.has(provisionKey)) await tx.query("select private.provision_from_claims()");
    return true;
  });
  if (!active) return null;
  provisioned.add(provisionKey);
  return session;
}
