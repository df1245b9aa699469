import { z } from "zod";
import type { TenantClaims } from "@/lib/db/tenant-check";

/**
 * The claims of a Clerk session token (v1 and v2 shapes), as the embedded identity provider also issues them.
 * Validated after the signature check: a token can be authentic and still not be one we accept.
 */
const orgObject = z.object({
  id: z.string().regex(/^org_[A-Za-z0-9]{1,64}$/),
  rol: z.string().min(1).max(64),
  slg: z.string().max(64).optional(),
  per: z.string().max(4096).optional(),
});

export const sessionClaimsSchema = z
  .object({
    sub: z.string().regex(/^user_[A-Za-z0-9]{1,64}$/),
    sid: z.string().regex(/^sess_[A-Za-z0-9]{1,64}$/),
    iss: z.string().min(1),
    azp: z.string().min(1),
    exp: z.number().int(),
    nbf: z.number().int(),
    iat: z.number().int(),
    v: z.literal(2).optional(),
    fva: z.tuple([z.number().int(), z.number().int()]).optional(),
    sts: z.string().optional(),
    o: orgObject.optional(),
    // Clerk session token v1.
    org_id: z.string().regex(/^org_[A-Za-z0-9]{1,64}$/).optional(),
    org_role: z.string().max(64).optional(),
    org_slug: z.string().max(64).optional(),
    org_permissions: z.array(z.string().max(128)).max(256).optional(),
    // TEN-8: Clerk's actor claim. Accepted only with a live support consent (lib/auth/session.ts checks it).
    act: z.object({ sub: z.string().regex(/^user_[A-Za-z0-9]{1,64}$/) }).loose().optional(),
  })
  .loose()
  // Both token versions at once would let the app and the database disagree on the org: refuse the token.
  .refine((c) => !(c.o && (c.org_id !== undefined || c.org_role !== undefined)), { message: "ambiguous organisation claims" });

export type SessionClaims = z.infer<typeof sessionClaimsSchema>;

/** API-key principals (partner API issue) become claims of the same family, so RLS treats them alike. */
export interface ApiKeyClaims {
  sub: `key_${string}`;
  o: { id: string; rol: "api" };
  key: { id: string; project_id: string | null; permissions: string[] };
}

/** Claims whose signature and rules were checked. Only the verifier (and API-key lookup) mint this type. */
export type VerifiedClaims = (SessionClaims | ApiKeyClaims) & TenantClaims;

export function markVerified(claims: SessionClaims | ApiKeyClaims): VerifiedClaims {
  return claims as VerifiedClaims;
}

// KEY-2: API-key claims carry the database check of the presented secret (minted in lib/api-keys).
export { markVerifiedApiKey, presentedApiKeyHash } from "@/lib/api-keys/key-claims";

export function isApiKeyClaims(claims: SessionClaims | ApiKeyClaims): claims is ApiKeyClaims {
  return "key" in claims && claims.key !== undefined;
}

/** `guest`: invited to projects of the org, not a member of it (TEN-7); Clerk custom role `org:guest`. */
export type OrgRole = "owner" | "admin" | "member" | "guest";

/** Clerk v1 says `org:admin`, v2 says `admin`; our embedded provider also knows `owner` and `guest`. Anything else: no role. */
export function normaliseOrgRole(raw: string | undefined): OrgRole | null {
  const role = raw?.replace(/^org:/, "");
  return role === "owner" || role === "admin" || role === "member" || role === "guest" ? role : null;
}

/** One session type for every identity provider (IDN-1, IDN-2). */
export interface Session {
  userId: string;
  sessionId: string;
  orgId: string | null;
  orgRole: OrgRole | null;
  orgSlug: string | null;
  permissions: string[];
  /** Minutes since the second factor was verified (Clerk `fva[1]`); null when never. */
  secondFactorAgeMinutes: number | null;
  /** Set when someone acts on the user's behalf (Clerk `act`). */
  actor: string | null;
  /**
   * TEN-8: a support session's live consent, as session resolution read it from the database on this request.
   * Null for every other session, and for an actor whose consent was not (yet) checked: writes are then refused.
   */
  support: SupportAccess | null;
  expiresAt: Date;
  claims: VerifiedClaims;
}

export interface SupportAccess {
  operatorId: string;
  level: "read" | "write";
}

/** The org role a support session's token carries (`o.rol`); the app treats it as a member's, writes only if consented. */
export const SUPPORT_ROLE = "support";

export function sessionFromClaims(claims: SessionClaims): Session {
  const orgId = claims.o?.id ?? claims.org_id ?? null;
  const permissions = claims.o?.per ? claims.o.per.split(",").filter(Boolean) : (claims.org_permissions ?? []);
  const secondFactor = claims.fva?.[1];
  return {
    userId: claims.sub,
    sessionId: claims.sid,
    orgId,
    orgRole: orgId ? (claims.act && claims.o?.rol === SUPPORT_ROLE ? "member" : normaliseOrgRole(claims.o?.rol ?? claims.org_role)) : null,
    orgSlug: claims.o?.slg ?? claims.org_slug ?? null,
    permissions,
    secondFactorAgeMinutes: secondFactor === undefined || secondFactor < 0 ? null : secondFactor,
    actor: claims.act?.sub ?? null,
    support: null,
    expiresAt: new Date(claims.exp * 1000),
    claims: markVerified(claims),
  };
}
