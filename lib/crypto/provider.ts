import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Keyring } from "./keyring";
import { DecryptionError, MissingKeyError } from "./errors";

/**
 * ENC-1: who wraps and unwraps data keys. The environment provider (KEKs from ENCRYPTION_KEYS) is the default and
 * the tested one; a cloud KMS fits the same interface (wrap = KMS Encrypt with the context as encryption context,
 * unwrap = KMS Decrypt, key ids = KMS key ARNs or aliases), so data keys never meet a KEK outside the KMS.
 */
export interface KeyProvider {
  /** The KEK new and re-wrapped data keys use. */
  readonly activeKekId: string;
  /** Every KEK this provider can unwrap with. */
  readonly kekIds: readonly string[];
  wrap(kekId: string, dataKey: Buffer, context: Buffer): Promise<string>;
  /** Throws MissingKeyError for an unknown KEK and DecryptionError when the wrapped key does not authenticate. */
  unwrap(kekId: string, wrapped: string, context: Buffer): Promise<Buffer>;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM under a KEK from the environment; the context (org, data key id, KEK id) is the associated data. */
export function environmentKeyProvider(keyring: Keyring): KeyProvider {
  const material = (kekId: string) => {
    const key = keyring.material(kekId);
    if (!key) throw new MissingKeyError([kekId]);
    return key;
  };
  return {
    activeKekId: keyring.active,
    kekIds: keyring.ids,
    async wrap(kekId, dataKey, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", material(kekId), iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(context);
      const sealed = Buffer.concat([cipher.update(dataKey), cipher.final()]);
      return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString("base64url");
    },
    async unwrap(kekId, wrapped, context) {
      const key = material(kekId);
      const bytes = Buffer.from(wrapped, "base64url");
      if (bytes.length !== IV_BYTES + 32 + TAG_BYTES) throw new DecryptionError("a wrapped data key has the wrong length");
      const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(context);
      decipher.setAuthTag(bytes.subarray(IV_BYTES + 32));
      try {
        return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, IV_BYTES + 32)), decipher.final()]);
      } catch {
        throw new DecryptionError(`a data key does not authenticate under key-encryption key "${kekId}" (wrong key material, or the wrapped key was altered or moved)`);
      }
    },
  };
}
