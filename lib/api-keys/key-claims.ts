import { bindTenantCheck } from "@/lib/db/tenant-check";
import type { ApiKeyClaims, VerifiedClaims } from "@/lib/auth/claims";

// KEY-2: API-key claims come from a cache of what never changes about a key, so every tenant transaction of them
// re-checks in the database that the key is still current for the secret that was presented. The check is bound
// to the claims object where they are minted (lib/db runs it; claims naming a key without one are refused there).
// The secret's hash travels beside the claims, never inside them (SQL can read the claims).
const presentedKeyHash = new WeakMap<object, string>();
const HASH = /^[0-9a-f]{64}$/;

/**
 * API-key verification only: claims for a key, bound to the database check of the presented secret's hash
 * (private.assert_api_key_current: not revoked, expired, deleted or past a roll's grace, and these are the key's
 * claims; SQLSTATE 28000 otherwise). The claims are frozen by the binding.
 */
export function markVerifiedApiKey(claims: ApiKeyClaims, keyHash: string): VerifiedClaims {
  // The hash is written into the statement as a literal: only 64 hex digits ever get there.
  if (!HASH.test(keyHash)) throw new Error("An API key's hash must be 64 hex digits.");
  presentedKeyHash.set(claims, keyHash);
  return bindTenantCheck(claims as VerifiedClaims, `select private.assert_api_key_current('${keyHash}') as secret`);
}

/** The presented secret's hash for API-key claims minted by markVerifiedApiKey; undefined otherwise. */
export function presentedApiKeyHash(claims: VerifiedClaims): string | undefined {
  return presentedKeyHash.get(claims);
}

/** SQLSTATE 28000 from private.assert_api_key_current: the key was revoked, expired or deleted since it was cached. */
export function isApiKeyNotCurrent(error: unknown): boolean {
  return Boolean(error && typeof error === "object" && (error as { code?: unknown }).code === "28000");
}
