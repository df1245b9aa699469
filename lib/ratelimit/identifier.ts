import { createHash } from "node:crypto";

// KEY-1: our API keys in plaintext start with one of these; only their SHA-256 hash is ever stored.
const PLAINTEXT_API_KEY = /tg_(live|test)_/i;
const MAX_IDENTIFIER_LENGTH = 256;

export class UnsafeRateLimitIdentifierError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "UnsafeRateLimitIdentifierError";
  }
}

/**
 * KEY-5: rate-limit identifiers end up in Redis keys, in memory and in `onLimitHit` events (logs), so they must
 * never carry secret material. Callers pass something derived (the key's id, the org id, a hash). An identifier
 * containing what looks like a plaintext API key is a programming error and throws; the message never repeats
 * the identifier, since that would put the key in a log.
 */
export function assertSafeIdentifier(identifier: string): void {
  if (typeof identifier !== "string" || identifier.length === 0) {
    throw new UnsafeRateLimitIdentifierError("A rate-limit identifier must be a non-empty string.");
  }
  if (identifier.length > MAX_IDENTIFIER_LENGTH) {
    throw new UnsafeRateLimitIdentifierError(`A rate-limit identifier must be at most ${MAX_IDENTIFIER_LENGTH} characters; hash longer values.`);
  }
  if (PLAINTEXT_API_KEY.test(identifier)) {
    throw new UnsafeRateLimitIdentifierError(
      "KEY-5: a rate-limit identifier looks like a plaintext API key. Limit by the key's id, never by the key itself.",
    );
  }
}

/**
 * An identifier from several parts (e.g. IP and email for sign-in) that keeps personal data out of Redis keys
 * and logs: a SHA-256 over the parts, unambiguous however the parts are split. Secrets are refused here too.
 */
export function hashedIdentifier(...parts: string[]): string {
  for (const part of parts) {
    if (PLAINTEXT_API_KEY.test(part)) {
      throw new UnsafeRateLimitIdentifierError("KEY-5: an API key is never rate-limit material, not even hashed. Use the key's id.");
    }
  }
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}
