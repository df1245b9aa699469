/**
 * ENC-1 / ENC-2: decryption never falls back. Both errors name keys and places only, never values, so they are safe
 * to log and to show an operator.
 */
export class DecryptionError extends Error {
  constructor(what: string) {
    super(`Decryption failed: ${what}.`);
    this.name = "DecryptionError";
  }
}

/** A data key references a KEK that ENCRYPTION_KEYS does not hold (or holds with other material): the app refuses to use it. */
export class MissingKeyError extends Error {
  readonly kekIds: readonly string[];
  constructor(kekIds: readonly string[], reason?: string) {
    const list = kekIds.map((id) => `"${id}"`).join(", ");
    super(
      reason
        ? `Refusing to start: ${reason} (ENCRYPTION_KEYS key-encryption key ${list}).`
        : `Refusing to start: data keys are wrapped by key-encryption key${kekIds.length > 1 ? "s" : ""} ${list}, which ENCRYPTION_KEYS does not contain. ` +
            "Add the missing key(s) back (or finish `npm run keys:rotate` before removing a key).",
    );
    this.name = "MissingKeyError";
    this.kekIds = kekIds;
  }
}
