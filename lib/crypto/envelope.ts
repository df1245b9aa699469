import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { DecryptionError } from "./errors";

/**
 * ENC-1: the ciphertext format, pure (no database). One stored value is one string:
 *
 *   tg1:<data key id>:<KEK id>:<iv>:<commitment>:<ciphertext>:<tag>        (binary parts base64url)
 *
 * - `tg1`: format version 1; anything else is refused.
 * - data key id: the `public.data_keys` row whose key encrypted it; KEK id: the KEK that wrapped that data key when
 *   the value was written (after a re-wrap the data key row is authoritative; `--reencrypt` brings both in line).
 * - iv: 96 random bits per value, never reused by design (random IVs under a key used for far fewer than 2^32 values).
 * - commitment: 32 bytes derived from the data key (HKDF), checked before decrypting: a ciphertext opens under
 *   exactly one key (AES-GCM alone is not key-committing).
 * - tag: the 128-bit GCM tag.
 * The associated data is the header (version, both ids) plus the field's place: org, table, column and row id. A value
 * copied to another row, column or org, or with any header field changed, fails to decrypt.
 */

export const FORMAT = "tg1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface FieldPlace {
  orgId: string;
  table: string;
  column: string;
  rowId: string;
}

/** The keys derived from one data key: the AES-256-GCM key and the key commitment. */
export interface DerivedKey {
  dataKeyId: string;
  encryptionKey: Buffer;
  commitment: Buffer;
}

export function deriveKey(dataKeyId: string, dataKey: Buffer): DerivedKey {
  const salt = Buffer.from(dataKeyId, "utf8");
  return {
    dataKeyId,
    encryptionKey: Buffer.from(hkdfSync("sha256", dataKey, salt, Buffer.from("tenantguard/v1/aes-256-gcm"), 32)),
    commitment: Buffer.from(hkdfSync("sha256", dataKey, salt, Buffer.from("tenantguard/v1/commitment"), 32)),
  };
}

export function associatedData(header: { dataKeyId: string; kekId: string }, place: FieldPlace): Buffer {
  return Buffer.from([FORMAT, header.dataKeyId, header.kekId, place.orgId, place.table, place.column, place.rowId].join("\u0000"), "utf8");
}

export interface ParsedCiphertext {
  dataKeyId: string;
  kekId: string;
  iv: Buffer;
  commitment: Buffer;
  sealed: Buffer;
  tag: Buffer;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const B64URL = /^[A-Za-z0-9_-]*$/;

export function parseCiphertext(value: string): ParsedCiphertext {
  const parts = value.split(":");
  if (parts.length !== 7 || parts[0] !== FORMAT) throw new DecryptionError("the value is not a version-1 ciphertext");
  const [, dataKeyId, kekId, iv, commitment, sealed, tag] = parts as [string, string, string, string, string, string, string];
  if (!UUID.test(dataKeyId) || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/.test(kekId) || ![iv, commitment, sealed, tag].every((p) => B64URL.test(p))) {
    throw new DecryptionError("the ciphertext header is malformed");
  }
  const parsed = {
    dataKeyId,
    kekId,
    iv: Buffer.from(iv, "base64url"),
    commitment: Buffer.from(commitment, "base64url"),
    sealed: Buffer.from(sealed, "base64url"),
    tag: Buffer.from(tag, "base64url"),
  };
  if (parsed.iv.length !== IV_BYTES || parsed.tag.length !== TAG_BYTES || parsed.commitment.length !== 32) throw new DecryptionError("the ciphertext has a part of the wrong length");
  return parsed;
}

export function seal(key: DerivedKey, kekId: string, place: FieldPlace, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key.encryptionKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData({ dataKeyId: key.dataKeyId, kekId }, place));
  const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const b = (x: Buffer) => x.toString("base64url");
  return [FORMAT, key.dataKeyId, kekId, b(iv), b(key.commitment), b(sealed), b(cipher.getAuthTag())].join(":");
}

/** Opens a parsed value with its data key's derived keys; every failure is a DecryptionError naming the place. */
export function open(key: DerivedKey, parsed: ParsedCiphertext, place: FieldPlace): string {
  const where = `${place.table}.${place.column} of row ${place.rowId}`;
  if (parsed.dataKeyId !== key.dataKeyId || !timingSafeEqual(parsed.commitment, key.commitment)) {
    throw new DecryptionError(`${where} was not encrypted under data key ${key.dataKeyId}`);
  }
  const decipher = createDecipheriv("aes-256-gcm", key.encryptionKey, parsed.iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(associatedData(parsed, place));
  decipher.setAuthTag(parsed.tag);
  try {
    return Buffer.concat([decipher.update(parsed.sealed), decipher.final()]).toString("utf8");
  } catch {
    throw new DecryptionError(`${where} does not authenticate (altered, or copied from another row, column or organisation)`);
  }
}
