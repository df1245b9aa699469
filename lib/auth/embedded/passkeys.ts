import "server-only";
import { appendAudit } from "@/lib/audit/writer";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  type AuthenticatorTransport,
} from "@simplewebauthn/server";
import { SignJWT, jwtVerify } from "jose";
import { withEmbeddedIdp, withTenant } from "@/lib/db";
import { signingKey } from "./keys";
import { EMBEDDED_ISSUER } from "./tokens";
import { env } from "@/lib/env";
import type { Session } from "../claims";
import { startSecondFactorSession } from "./second-factor";

/**
 * IDN-2: passkeys (WebAuthn, @simplewebauthn/server) as a second factor. The relying party is APP_URL's host; the
 * expected origin is APP_URL's origin. An assertion counts only if its signature verifies against the stored key,
 * its counter is above the stored one (the library refuses a lower one; the database accepts only a forward move,
 * atomically), and it answers the challenge this sign-in was given.
 */
function relyingParty() {
  const url = new URL(env.APP_URL);
  return { rpID: url.hostname, origin: url.origin };
}

export async function passkeyRegistrationOptions(session: Session, userName: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: "TenantGuard",
    rpID: relyingParty().rpID,
    userName,
    userID: new TextEncoder().encode(session.userId),
    attestationType: "none",
    authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
  });
}

/** Verifies the browser's registration response for the expected challenge and stores the credential. */
export async function registerPasskey(session: Session, response: RegistrationResponseJSON, expectedChallenge: string): Promise<boolean> {
  const { rpID, origin } = relyingParty();
  const verification = await verifyRegistrationResponse({ response, expectedChallenge, expectedOrigin: origin, expectedRPID: rpID, requireUserVerification: false }).catch(() => null);
  if (!verification?.verified || !verification.registrationInfo) return false;
  const { credential } = verification.registrationInfo;
  const [row] = await withTenant(session.claims, async (tx) => {
    const added = await tx.query<{ added: boolean }>("select idp.add_own_passkey($1, $2, $3, $4::text[]) as added", [
      credential.id,
      Buffer.from(credential.publicKey),
      credential.counter,
      credential.transports ?? [],
    ]);
    // AUD-3: a new second factor is recorded in the active org's chain, in the same transaction.
    if (added[0]?.added === true && session.orgId) {
      await appendAudit(tx, { orgId: session.orgId, actorType: "user", actorId: session.userId, action: "auth.passkey_added", targetType: "user", targetId: session.userId });
    }
    return added;
  });
  return row?.added === true;
}

interface StoredPasskey {
  credential_id: string;
  public_key: Buffer;
  counter: string | number;
  transports: string[];
}

export async function passkeyAuthenticationOptions(userId: string): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
  const passkeys = await withEmbeddedIdp((tx) => tx.query<StoredPasskey>("select * from idp.passkeys_of($1)", [userId]));
  if (passkeys.length === 0) return null;
  return generateAuthenticationOptions({
    rpID: relyingParty().rpID,
    allowCredentials: passkeys.map((p) => ({ id: p.credential_id, transports: p.transports as AuthenticatorTransport[] })),
    userVerification: "preferred",
  });
}

/** The second sign-in step with a passkey: a new session verified with both factors, or null. */
export async function completeSignInWithPasskey(input: { userId: string; response: AuthenticationResponseJSON; expectedChallenge: string; ip: string | null; userAgent: string | null }) {
  const passkeys = await withEmbeddedIdp((tx) => tx.query<StoredPasskey>("select * from idp.passkeys_of($1)", [input.userId]));
  const stored = passkeys.find((p) => p.credential_id === input.response.id);
  if (!stored) return null;
  const { rpID, origin } = relyingParty();
  const verification = await verifyAuthenticationResponse({
    response: input.response,
    expectedChallenge: input.expectedChallenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    credential: { id: stored.credential_id, publicKey: new Uint8Array(stored.public_key), counter: Number(stored.counter), transports: stored.transports as AuthenticatorTransport[] },
    requireUserVerification: false,
  }).catch(() => null);
  if (!verification?.verified) return null;
  const [accepted] = await withEmbeddedIdp((tx) =>
    tx.query<{ accepted: boolean }>("select idp.accept_passkey_counter($1, $2, $3) as accepted", [input.userId, stored.credential_id, verification.authenticationInfo.newCounter]),
  );
  if (accepted?.accepted !== true) return null;
  return startSecondFactorSession(input, "passkey");
}

export const WEBAUTHN_COOKIE_NAME = "tg_webauthn";
const WEBAUTHN_AUDIENCE = "tenantguard:webauthn";

/** The challenge of one registration or sign-in ceremony, signed for its user and purpose, 5 minutes (HttpOnly cookie). */
export async function signWebauthnChallenge(userId: string, purpose: "register" | "sign-in", challenge: string): Promise<string> {
  const { kid, privateKey } = await signingKey();
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ challenge, purpose })
    .setProtectedHeader({ alg: "RS256", kid, typ: "webauthn-challenge" })
    .setSubject(userId)
    .setIssuer(EMBEDDED_ISSUER)
    .setAudience(WEBAUTHN_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(privateKey);
}

export async function webauthnChallengeFor(signed: string | undefined, userId: string, purpose: "register" | "sign-in"): Promise<string | null> {
  if (!signed || signed.length > 4096) return null;
  try {
    const { payload, protectedHeader } = await jwtVerify(signed, (await signingKey()).verificationKey, { algorithms: ["RS256"], issuer: EMBEDDED_ISSUER, audience: WEBAUTHN_AUDIENCE });
    if (protectedHeader.typ !== "webauthn-challenge" || payload.sub !== userId || payload.purpose !== purpose || typeof payload.challenge !== "string") return null;
    return payload.challenge;
  } catch {
    return null;
  }
}

/** A browser's response, as posted by the client component: parsed, shape-checked, never trusted further. */
export function parseCredentialJSON<T>(raw: unknown): T | null {
  if (typeof raw !== "string" || raw.length > 16_384) return null;
  try {
    const value = JSON.parse(raw) as { id?: unknown; type?: unknown; response?: unknown };
    return typeof value.id === "string" && value.type === "public-key" && typeof value.response === "object" && value.response !== null ? (value as T) : null;
  } catch {
    return null;
  }
}
