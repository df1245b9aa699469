import "server-only";
import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { env } from "@/lib/env";
import { SUPPORT_ROLE, type OrgRole } from "../claims";
import { signingKey } from "./keys";

export const EMBEDDED_ISSUER = new URL(env.APP_URL).origin;

export interface ActiveOrg {
  id: string;
  /** `support`: a support session (TEN-8), issued only with `act` by lib/support. */
  role: OrgRole | typeof SUPPORT_ROLE;
  slug: string;
}

export function newSessionId(): string {
  return `sess_${randomBytes(18).toString("base64url").replace(/[-_]/g, "")}`;
}

/** When the session's factors were verified (idp.sessions first_factor_at / second_factor_at). */
export interface SessionFactors {
  firstFactorAt: Date;
  secondFactorAt: Date | null;
}

/** Clerk's `fva`: [minutes since the first factor, minutes since the second factor], -1 for a factor never verified. */
export function factorAges(factors: SessionFactors, at = Date.now()): [number, number] {
  const minutes = (d: Date) => Math.max(0, Math.floor((at - d.getTime()) / 60_000));
  return [minutes(factors.firstFactorAt), factors.secondFactorAt ? minutes(factors.secondFactorAt) : -1];
}

/** IDN-2: a Clerk-shaped v2 session token, signed RS256 with the embedded provider's key. */
export async function issueSessionToken(input: {
  userId: string;
  sessionId: string;
  org: ActiveOrg | null;
  ttlSeconds?: number;
  /** Without it: a first factor just now and no second factor (`fva: [0, -1]`). */
  factors?: SessionFactors;
  /** TEN-8: a support session's actor (Clerk's `act` shape). */
  act?: { sub: string };
}) {
  const { kid, privateKey } = await signingKey();
  const now = Math.floor(Date.now() / 1000);
  const ttl = input.ttlSeconds ?? env.SESSION_TTL_SECONDS;
  const claims: Record<string, unknown> = {
    sid: input.sessionId,
    azp: env.authorizedParties[0],
    v: 2,
    fva: input.factors ? factorAges(input.factors, now * 1000) : [0, -1],
  };
  if (input.org) claims.o = { id: input.org.id, rol: input.org.role, slg: input.org.slug };
  // TEN-8: Clerk's actor claim shape; the verifier accepts it only with a live consent.
  if (input.act) claims.act = { sub: input.act.sub };
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
    .setSubject(input.userId)
    .setIssuer(EMBEDDED_ISSUER)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + ttl)
    .sign(privateKey);
  return { token, expiresAt: new Date((now + ttl) * 1000) };
}
