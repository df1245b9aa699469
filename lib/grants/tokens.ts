import { createHash, randomBytes } from "node:crypto";

/**
 * TEN-7: project invite links. 256 random bits, shown once to the manager who created the link; the database keeps
 * only the SHA-256 (the same scheme as member invites, lib/members/tokens.ts, with its own prefix so neither kind of
 * token is accepted where the other is expected).
 */
const PREFIX = "tgp_";
const TOKEN_PATTERN = /^tgp_[A-Za-z0-9_-]{43}$/;

export function generateProjectLinkToken(): string {
  return `${PREFIX}${randomBytes(32).toString("base64url")}`;
}

/** Null for anything that is not the shape we mint (a tampered or truncated link): no database lookup then. */
export function projectLinkTokenHash(token: string): Buffer | null {
  if (!TOKEN_PATTERN.test(token)) return null;
  return createHash("sha256").update(token, "utf8").digest();
}
