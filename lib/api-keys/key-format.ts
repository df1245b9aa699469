import "server-only";
import { hash, randomBytes } from "node:crypto";

/**
 * KEY-1: the shape of a partner API key: `tg_live_` or `tg_test_`, then 43 base62 characters encoding 32 random
 * bytes (256 bits of entropy; 62^43 > 2^256, so the encoding is injective). Only hashApiKey(key) is stored.
 */
export type ApiKeyMode = "live" | "test";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const API_KEY_SECRET_LENGTH = 43;
export const API_KEY_ENTROPY_BITS = 256;
/** `tg_live_` + the first 4 secret characters: enough to tell keys apart, ~24 of the 256 bits (KEY-1). */
export const API_KEY_PREFIX_LENGTH = 12;

const API_KEY_PATTERN = /^tg_(live|test)_[0-9A-Za-z]{43}$/;

function base62(bytes: Buffer, length: number): string {
  let n = BigInt(`0x${bytes.toString("hex")}`);
  let out = "";
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out;
}

export function generateApiKey(mode: ApiKeyMode = "live"): string {
  return `tg_${mode}_${base62(randomBytes(32), API_KEY_SECRET_LENGTH)}`;
}

/**
 * SHA-256, lowercase hex. A fast hash is right here: the key has 256 random bits, nothing to brute-force. Node's
 * one-shot `hash` (every request hashes the presented key) costs less than a Hash object.
 */
export function hashApiKey(key: string): string {
  return hash("sha256", key, "hex");
}

/** Exactly our format: right prefix, right length, right alphabet. Anything else never reaches the database. */
export function looksLikeApiKey(value: unknown): value is string {
  return typeof value === "string" && API_KEY_PATTERN.test(value);
}

/** The non-secret identifier shown in lists, logs and audit entries, e.g. `tg_live_ab12`. */
export function apiKeyPrefix(key: string): string {
  return key.slice(0, API_KEY_PREFIX_LENGTH);
}

/**
 * KEY-5: `Authorization: Bearer <key>`, strictly: the scheme (case-insensitive, RFC 9110), one space, a key of
 * our exact format, nothing else. Returns null for anything else, without looking at the database.
 */
export function parseBearerApiKey(header: string | null | undefined): string | null {
  if (typeof header !== "string" || header.length > 64) return null;
  const match = /^([A-Za-z]+) (\S+)$/.exec(header);
  if (!match || match[1]!.toLowerCase() !== "bearer") return null;
  return looksLikeApiKey(match[2]) ? match[2] : null;
}
