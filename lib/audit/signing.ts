import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { canonicalJson } from "./chain";

/**
 * AUD-5: Ed25519 signatures over audit chain heads. Free of server-only imports: the offline verifier
 * (scripts/verify-audit-chain.ts --file) uses it with nothing but a public key.
 *
 * AUDIT_SIGNING_KEY is `<key id>:<base64 PKCS#8 DER of an Ed25519 private key>`, the key id versioned like the
 * encryption keys (`v1`, `v2`, ...): `openssl genpkey -algorithm ed25519 -outform DER | base64 -w0`. Outside
 * production, without it, a fixed development key (key id `dev`) is derived so that nothing needs configuring;
 * a checkpoint signed with it is refused by a verifier given the production public key.
 */
export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface CheckpointHead {
  org_id: string;
  seq: number;
  hash: string;
  /** ISO 8601 UTC with milliseconds. */
  signed_at: string;
  /**
   * What the signature vouches for: the chain's head at signing time, or the last entry removed by retention (AUD-4),
   * from which the remaining chain starts. Only a "retention-cut" checkpoint may start a chain after seq 1.
   */
  purpose: CheckpointPurpose;
}

export type CheckpointPurpose = "head" | "retention-cut";

export interface SignedCheckpoint extends CheckpointHead {
  key_id: string;
  /** base64url Ed25519 signature of checkpointMessage(). */
  signature: string;
}

export interface PublicKeyDocument {
  key_id: string;
  alg: "Ed25519";
  pem: string;
  jwk: { kty: string; crv: string; x: string };
}

export const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const SIGNING_KEY = /^(v[0-9]{1,6}):([A-Za-z0-9+/]+={0,2})$/;
/** PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export class SigningKeyError extends Error {}

/** Parses AUDIT_SIGNING_KEY (`v1:<base64 PKCS#8>`); throws SigningKeyError with a message that never holds the key. */
export function parseSigningKey(value: string): SigningKey {
  const match = SIGNING_KEY.exec(value.trim());
  if (!match) throw new SigningKeyError("AUDIT_SIGNING_KEY must be `v<n>:<base64 PKCS#8 DER of an Ed25519 private key>`.");
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: Buffer.from(match[2]!, "base64"), format: "der", type: "pkcs8" });
  } catch {
    throw new SigningKeyError("AUDIT_SIGNING_KEY does not hold a PKCS#8 private key.");
  }
  if (privateKey.asymmetricKeyType !== "ed25519") throw new SigningKeyError("AUDIT_SIGNING_KEY must be an Ed25519 key.");
  return { keyId: match[1]!, privateKey, publicKey: createPublicKey(privateKey) };
}

/** The development and test key: derived from a fixed label, the same in every process, never valid in production. */
export function developmentSigningKey(): SigningKey {
  const seed = createHash("sha256").update("tenantguard development audit signing key").digest();
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  return { keyId: "dev", privateKey, publicKey: createPublicKey(privateKey) };
}

/** The exact bytes a checkpoint's signature covers: a domain label, then canonical JSON of the head and key id. */
export function checkpointMessage(head: CheckpointHead, keyId: string): Buffer {
  const body = { hash: head.hash, key_id: keyId, org_id: head.org_id, purpose: head.purpose, seq: head.seq, signed_at: head.signed_at };
  return Buffer.from(`tenantguard.audit-checkpoint.v1\n${canonicalJson(body)}`, "utf8");
}

export function signCheckpoint(key: SigningKey, head: CheckpointHead): SignedCheckpoint {
  const signature = sign(null, checkpointMessage(head, key.keyId), key.privateKey).toString("base64url");
  return { org_id: head.org_id, seq: head.seq, hash: head.hash, signed_at: head.signed_at, purpose: head.purpose, key_id: key.keyId, signature };
}

/** Whether a checkpoint is signed by the key it names, among the public keys given (by key id). */
export function checkpointSignatureValid(checkpoint: SignedCheckpoint, publicKeys: ReadonlyMap<string, KeyObject>): boolean {
  const key = publicKeys.get(checkpoint.key_id);
  if (!key || !/^[A-Za-z0-9_-]{80,100}$/.test(checkpoint.signature)) return false;
  try {
    return verify(null, checkpointMessage(checkpoint, checkpoint.key_id), key, Buffer.from(checkpoint.signature, "base64url"));
  } catch {
    return false;
  }
}

/** What /.well-known/tenantguard-audit-key serves. */
export function publicKeyDocument(key: Pick<SigningKey, "keyId" | "publicKey">): PublicKeyDocument {
  const jwk = key.publicKey.export({ format: "jwk" }) as { kty: string; crv: string; x: string };
  return { key_id: key.keyId, alg: "Ed25519", pem: key.publicKey.export({ format: "pem", type: "spki" }).toString(), jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x } };
}

/**
 * A verifier's public key from text: the well-known JSON document (key id + PEM), or a PEM with the key id given
 * separately (default: any key id; the signature still has to verify).
 */
export function parsePublicKey(text: string, keyId?: string): Map<string, KeyObject> {
  const trimmed = text.trim();
  let pem = trimmed;
  let id = keyId;
  if (trimmed.startsWith("{")) {
    const doc = JSON.parse(trimmed) as Partial<PublicKeyDocument>;
    if (typeof doc.pem !== "string" || typeof doc.key_id !== "string" || !KEY_ID.test(doc.key_id)) throw new SigningKeyError("Not a TenantGuard audit public key document.");
    pem = doc.pem;
    id = keyId ?? doc.key_id;
  }
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== "ed25519") throw new SigningKeyError("The audit public key must be Ed25519.");
  if (id !== undefined) return new Map([[id, key]]);
  return new AnyKeyId(key);
}

/** A map that answers the one key for any key id (a bare PEM given without its key id). */
class AnyKeyId extends Map<string, KeyObject> {
  constructor(private readonly key: KeyObject) {
    super();
  }
  override get(): KeyObject {
    return this.key;
  }
}

/**
 * AUD-5, signing-key rotation: the public keys a verifier accepts, by key id: the current signing key's and the
 * retired ones (`AUDIT_RETIRED_PUBLIC_KEYS`: `v<n>:<base64 SPKI DER>`, comma-separated), so checkpoints signed
 * before a rotation still verify. A retired entry with the current key's id, a repeated id or a key that is not
 * Ed25519 is refused: a verifier never guesses which key an id means.
 */
export function verificationKeys(current: Pick<SigningKey, "keyId" | "publicKey">, retired: string | undefined): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>([[current.keyId, current.publicKey]]);
  for (const part of (retired ?? "").split(",").map((p) => p.trim()).filter(Boolean)) {
    const match = /^(v[0-9]{1,6}):([A-Za-z0-9+/]+={0,2})$/.exec(part);
    if (!match) throw new SigningKeyError("AUDIT_RETIRED_PUBLIC_KEYS: each entry is `v<n>:<base64 SPKI DER of an Ed25519 public key>`.");
    const [, id, der] = match;
    if (keys.has(id!)) throw new SigningKeyError(`AUDIT_RETIRED_PUBLIC_KEYS: key id ${id} is given twice (or is the current signing key's).`);
    let key: KeyObject;
    try {
      key = createPublicKey({ key: Buffer.from(der!, "base64"), format: "der", type: "spki" });
    } catch {
      throw new SigningKeyError(`AUDIT_RETIRED_PUBLIC_KEYS: key ${id} is not a public key.`);
    }
    if (key.asymmetricKeyType !== "ed25519") throw new SigningKeyError(`AUDIT_RETIRED_PUBLIC_KEYS: key ${id} is not Ed25519.`);
    keys.set(id!, key);
  }
  return keys;
}
