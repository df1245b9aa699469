import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkpointSignatureValid, parseSigningKey, signCheckpoint, SigningKeyError, verificationKeys } from "@/lib/audit/signing";

// AUD-5: rotating the signing key keeps the checkpoints signed before it verifiable (AUDIT_RETIRED_PUBLIC_KEYS),
// and nothing else: a retired key vouches only for its own key id, and a checkpoint signed by no listed key fails.
const ed25519 = (id: string) => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    signing: parseSigningKey(`${id}:${privateKey.export({ format: "der", type: "pkcs8" }).toString("base64")}`),
    retired: `${id}:${publicKey.export({ format: "der", type: "spki" }).toString("base64")}`,
  };
};
const head = { org_id: "org_rotation", seq: 42, hash: "a".repeat(64), signed_at: "2026-12-01T10:00:00.000Z", purpose: "head" as const };

describe("AUD-5: signing-key rotation", () => {
  it("a checkpoint signed by the previous key verifies once its public key is listed as retired, and not before", () => {
    const v1 = ed25519("v1");
    const v2 = ed25519("v2");
    const old = signCheckpoint(v1.signing, head);
    expect(checkpointSignatureValid(old, verificationKeys(v2.signing, undefined))).toBe(false);
    expect(checkpointSignatureValid(old, verificationKeys(v2.signing, v1.retired))).toBe(true);
    expect(checkpointSignatureValid(signCheckpoint(v2.signing, head), verificationKeys(v2.signing, v1.retired))).toBe(true);
  });

  it("a retired key vouches only for its own key id; an unlisted signer fails", () => {
    const v1 = ed25519("v1");
    const v2 = ed25519("v2");
    const v3 = ed25519("v3");
    const keys = verificationKeys(v3.signing, v1.retired);
    // Signed by v2 (not listed) but labelled v1: the v1 public key does not verify it.
    expect(checkpointSignatureValid({ ...signCheckpoint(v2.signing, head), key_id: "v1" }, keys)).toBe(false);
    expect(checkpointSignatureValid(signCheckpoint(v2.signing, head), keys)).toBe(false);
  });

  it("refuses a malformed entry, a repeated or current key id, and a key that is not Ed25519", () => {
    const v1 = ed25519("v1");
    const v2 = ed25519("v2");
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "der", type: "spki" }).toString("base64");
    expect(() => verificationKeys(v2.signing, "v1")).toThrow(SigningKeyError);
    expect(() => verificationKeys(v2.signing, `${v1.retired},${v1.retired}`)).toThrow(/given twice/);
    expect(() => verificationKeys(v2.signing, v2.retired)).toThrow(/given twice/);
    expect(() => verificationKeys(v2.signing, `v9:${rsa}`)).toThrow(/not Ed25519/);
    expect(() => verificationKeys(v2.signing, "v9:AAAA")).toThrow(/not a public key/);
  });
});
