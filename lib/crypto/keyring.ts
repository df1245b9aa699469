import { hkdfSync } from "node:crypto";

/**
 * ENC-1 / ENC-3: the key-encryption keys (KEKs) from ENCRYPTION_KEYS, parsed by lib/env.ts. Pure (no database, no
 * environment), so the configuration parser can use it.
 *
 * Format: comma-separated `<id>:<base64 of 32 bytes>` entries, then optionally `;active=<id>`:
 *   ENCRYPTION_KEYS="k2026b:<base64>,k2026a:<base64>;active=k2026b"
 * With one key, `;active=` may be left out. An id is 1-32 letters, digits, `_`, `.` or `-`.
 *
 * The key material lives in a private field: logging, JSON.stringify or util.inspect of a Keyring (or of the parsed
 * environment holding it) shows the ids only.
 */

export const KEK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

/** The id of the development KEK, used when ENCRYPTION_KEYS is unset outside production. */
export const DEVELOPMENT_KEK_ID = "dev";

export class Keyring {
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly active: string;
  readonly ids: readonly string[];
  /** The built-in development key (ENCRYPTION_KEYS unset): never for real tenants. */
  readonly development: boolean;

  constructor(keys: Map<string, Buffer>, active: string, development = false) {
    if (!keys.has(active)) throw new Error(`The active key-encryption key "${active}" is not among the configured keys.`);
    this.#keys = keys;
    this.active = active;
    this.ids = Object.freeze([...keys.keys()]);
    this.development = development;
  }

  has(id: string): boolean {
    return this.#keys.has(id);
  }

  /** The key material of one KEK; lib/crypto's environment key provider is its only caller. */
  material(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  /** A keyring without `id` (what the configuration looks like once a KEK is retired). */
  without(id: string): Keyring {
    const keys = new Map(this.#keys);
    keys.delete(id);
    return new Keyring(keys, this.active, this.development);
  }

  toJSON() {
    return { active: this.active, ids: this.ids, development: this.development };
  }

  [Symbol.for("nodejs.util.inspect.custom")]() {
    return `Keyring(active=${this.active}, ids=${this.ids.join(",")})`;
  }
}

/**
 * The development KEK: derived (HKDF-SHA256) from a fixed, public label, so `npm run dev` and the tests need no
 * configuration and data encrypted by one run decrypts in the next. Anyone can derive it: production refuses it.
 */
export function developmentKeyring(): Keyring {
  const key = Buffer.from(hkdfSync("sha256", Buffer.from("tenantguard development key-encryption key"), Buffer.alloc(0), Buffer.from("tenantguard/kek/dev"), 32));
  return new Keyring(new Map([[DEVELOPMENT_KEK_ID, key]]), DEVELOPMENT_KEK_ID, true);
}

/** Parses ENCRYPTION_KEYS; returns problems (naming ids, never material) instead of throwing. */
export function parseEncryptionKeys(value: string): { keyring?: Keyring; problems: string[] } {
  const problems: string[] = [];
  const [list = "", ...options] = value.split(";").map((s) => s.trim());
  let active: string | undefined;
  for (const option of options) {
    const match = /^active=(.+)$/.exec(option);
    if (match) active = match[1]!.trim();
    else problems.push(`ENCRYPTION_KEYS: unknown option "${option.split("=")[0]}" (only ";active=<id>").`);
  }
  const keys = new Map<string, Buffer>();
  for (const entry of list.split(",").map((s) => s.trim()).filter(Boolean)) {
    const colon = entry.indexOf(":");
    const id = colon > 0 ? entry.slice(0, colon) : "";
    if (!KEK_ID.test(id)) {
      problems.push("ENCRYPTION_KEYS: each entry is <id>:<base64 key>, the id 1-32 letters, digits, _ . or -.");
      continue;
    }
    const encoded = entry.slice(colon + 1);
    const material = /^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded) ? Buffer.from(encoded, "base64") : Buffer.alloc(0);
    if (material.length !== 32) {
      problems.push(`ENCRYPTION_KEYS: key "${id}" must be 32 bytes, base64-encoded (e.g. \`openssl rand -base64 32\`).`);
      continue;
    }
    if (keys.has(id)) problems.push(`ENCRYPTION_KEYS: key "${id}" is listed twice.`);
    keys.set(id, material);
  }
  if (keys.size === 0 && problems.length === 0) problems.push("ENCRYPTION_KEYS: no key listed.");
  if (active === undefined && keys.size > 1) problems.push("ENCRYPTION_KEYS: with several keys, name the active one with ;active=<id>.");
  active ??= [...keys.keys()][0];
  if (active !== undefined && keys.size > 0 && !keys.has(active)) problems.push(`ENCRYPTION_KEYS: the active key "${active}" is not listed.`);
  if (problems.length > 0) return { problems };
  return { keyring: new Keyring(keys, active!), problems };
}
