import { errors as joseErrors, jwtVerify, type JWTVerifyGetKey, type CryptoKey, type KeyObject } from "jose";
import { sessionClaimsSchema, sessionFromClaims, type Session } from "./claims";

export type TokenRejection =
  | "malformed"
  | "algorithm"
  | "signature"
  | "unknown-key"
  | "expired"
  | "not-yet-valid"
  | "issuer"
  | "authorized-party"
  | "pending-session"
  | "claims";

export class TokenVerificationError extends Error {
  constructor(readonly reason: TokenRejection) {
    super(`Session token rejected: ${reason}`);
    this.name = "TokenVerificationError";
  }
}

export interface VerifyOptions {
  /** The embedded provider's JWKS, or Clerk's PEM public key (networkless, CLERK_JWT_KEY). */
  key: JWTVerifyGetKey | CryptoKey | KeyObject;
  issuer: string;
  authorizedParties: string[];
  clockToleranceSeconds?: number;
}

/**
 * IDN-1 / IDN-2: the ONE function that turns a session token into a Session, for Clerk and the embedded
 * provider alike. RS256 only; signature, exp, nbf, iss and the azp allow-list are required; sessions still
 * pending (`sts: pending`, e.g. before a required second factor) are refused.
 */
export async function verifySessionToken(token: string, options: VerifyOptions): Promise<Session> {
  if (typeof token !== "string" || token.length > 8192 || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) {
    throw new TokenVerificationError("malformed");
  }
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, options.key as CryptoKey, {
      algorithms: ["RS256"],
      issuer: options.issuer,
      requiredClaims: ["exp", "nbf", "iat", "sub", "sid"],
      clockTolerance: options.clockToleranceSeconds ?? 5,
    }));
  } catch (error) {
    throw new TokenVerificationError(rejectionFor(error));
  }
  const claims = sessionClaimsSchema.safeParse(payload);
  if (!claims.success) throw new TokenVerificationError("claims");
  if (!options.authorizedParties.includes(claims.data.azp)) throw new TokenVerificationError("authorized-party");
  if (claims.data.sts === "pending") throw new TokenVerificationError("pending-session");
  return sessionFromClaims(claims.data);
}

function rejectionFor(error: unknown): TokenRejection {
  if (error instanceof joseErrors.JWTExpired) return "expired";
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "nbf") return "not-yet-valid";
    if (error.claim === "iss") return "issuer";
    return "claims";
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return "algorithm";
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "unknown-key";
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "signature";
  return "malformed";
}
