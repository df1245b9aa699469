import { createHash, randomBytes } from "node:crypto";

/**
 * TEN-3: member invite links of the embedded provider. The token is 256 random bits, shown once to the admin who
 * created it; the database keeps only its SHA-256, so a read of the table (or a backup) cannot redeem anything.
 */
const PREFIX = "tgi_";
const TOKEN_PATTERN = /^tgi_[A-Za-z0-9_-]{43}$/;

export function generateInviteToken(): string {
  return `${PREFIX}${randomBytes(32).toString("base64url")}`;
}

/** Null for anything that is not the shape we mint (a tampered or truncated link): no database lookup then. */
export function inviteTokenHash(token: string): Buffer | null {
  if (!TOKEN_PATTERN.test(token)) return null;
  return createHash("sha256").update(token, "utf8").digest();
}
