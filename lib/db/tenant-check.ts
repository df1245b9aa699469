/**
 * Claims that a verifier has checked (a session token's signature and rules, or an API key's lookup). Tenant
 * transactions (lib/db withTenant) accept nothing else; only the verifiers cast to this type.
 */
declare const verifiedClaims: unique symbol;
export type TenantClaims = object & { readonly [verifiedClaims]: true };

// No imports here: identity code (lib/auth, lib/api-keys) binds checks without loading the database driver.
const checks = new WeakMap<object, string>();

function deepFreeze(value: unknown): void {
  if (!value || typeof value !== "object" || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const nested of Object.values(value)) deepFreeze(nested);
}

/**
 * Binds to `claims` one statement (no parameters: values already written as literals) that the database runs in
 * every tenant transaction of these claims, right after the claims are set and in the same round trip. It refuses
 * by raising: the transaction then fails with its error and none of the caller's statements runs. Its first row
 * is handed to the transaction (TenantInfo.confirmed). The claims are frozen, deeply, so that what the check was
 * bound to, and the preamble lib/db builds once for it, can never change underneath. A second, different check for
 * the same claims is refused.
 */
export function bindTenantCheck<C extends TenantClaims>(claims: C, statement: string): C {
  const bound = checks.get(claims);
  if (bound !== undefined && bound !== statement) throw new Error("These claims already carry another check.");
  deepFreeze(claims);
  checks.set(claims, statement);
  return claims;
}

/** The check bound to these claims, if any. */
export function tenantCheckOf(claims: object): string | undefined {
  return checks.get(claims);
}
