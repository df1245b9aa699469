import "server-only";
import { withKeyVerifier, withTenant, type Queryable, type TenantConfirmation } from "@/lib/db";
import type { ApiKeyClaims, VerifiedClaims } from "@/lib/auth/claims";
import { isApiKeyNotCurrent, markVerifiedApiKey, presentedApiKeyHash } from "./key-claims";
import { AppError } from "@/lib/errors";
import { hashApiKey, parseBearerApiKey } from "./key-format";
import { ipAllowed } from "./ip-allowlist";
import type { ApiKeyPermission } from "./schemas";
import { recordKeyUse } from "./usage-log";
import { noteSecurityEvent } from "@/lib/audit/alerts";
import { SECURITY_EVENT } from "@/lib/audit/events";

/**
 * KEY-5: every way a presented key can fail — missing, malformed, another prefix, truncated, unknown, revoked,
 * expired, an old secret past its grace, a caller outside the allow-list — is this one error with one message,
 * so the answer tells an attacker nothing. The reason goes only to the key's verification log.
 */
export class InvalidApiKeyError extends AppError {
  constructor() {
    super("unauthenticated", "Invalid or missing API key.");
    this.name = "InvalidApiKeyError";
  }
}

export interface VerifiedApiKey {
  /** API-key claims for withTenant: RLS applies the key's org, project scope and write permission (TEN-6). */
  claims: VerifiedClaims;
  keyId: string;
  orgId: string;
  projectId: string | null;
  permissions: ApiKeyPermission[];
  /** The caller's IP as verified against the allow-list; for the key's log. */
  ip: string | null;
}

/**
 * Why a known key was refused; recorded in key_verifications, never returned to the caller. (The key's log also
 * shows `rate_limited` for requests its limits refused: lib/api/handler.ts.)
 */
export type RejectionReason = "revoked" | "expired" | "previous_key_expired" | "ip_not_allowed" | "key_changed";

interface LookupRow {
  key_id: string;
  org_id: string;
  project_id: string | null;
  permissions: ApiKeyPermission[];
  expires_at: Date | null;
  revoked_at: Date | null;
  ip_allowlist: string[] | null;
  matched: "current" | "previous";
  previous_expires_at: Date | null;
  checked_at: Date;
}

const time = (d: Date | string) => (d instanceof Date ? d.getTime() : new Date(d).getTime());

/** `now`: the database clock (the same for every app instance) when the row was read, else this process's. */
function rejectionOf(row: LookupRow, ip: string | null, now = time(row.checked_at)): RejectionReason | null {
  if (row.revoked_at) return "revoked";
  if (row.expires_at && time(row.expires_at) <= now) return "expired";
  if (row.matched === "previous" && (!row.previous_expires_at || time(row.previous_expires_at) <= now)) return "previous_key_expired";
  if (row.ip_allowlist && row.ip_allowlist.length > 0 && !ipAllowed(ip, row.ip_allowlist)) return "ip_not_allowed";
  return null;
}

interface CachedKey {
  row: LookupRow;
  /** The key's claims and permissions, built once per entry (frozen: shared by every request presenting the key). */
  claims: VerifiedClaims;
  permissions: ApiKeyPermission[];
  /** Date.now() when the database last confirmed this row. */
  fetchedAt: number;
}

// What never changes about a key (id, org, scope, permissions, allow-list) is cached per process by the hash of its
// secret, for at most CACHE_TTL_MS. The rest (revocation, expiry, a roll's grace, deletion) is checked by the
// database in every tenant transaction (the check markVerifiedApiKey binds to the claims: private.assert_api_key_current), so the
// cache never lets a revoked key through, on any instance. The plaintext is never a cache key (KEY-5).
const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 10_000;
const cacheHolder = globalThis as typeof globalThis & { __tenantguardKeyCache?: Map<string, CachedKey> };
const cache: Map<string, CachedKey> = (cacheHolder.__tenantguardKeyCache ??= new Map());

function remember(hash: string, row: LookupRow): CachedKey {
  cache.delete(hash);
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  const permissions = Object.freeze([...row.permissions]) as ApiKeyPermission[];
  const claims: ApiKeyClaims = Object.freeze({
    sub: `key_${row.key_id}`,
    o: Object.freeze({ id: row.org_id, rol: "api" }),
    key: Object.freeze({ id: row.key_id, project_id: row.project_id, permissions }),
  });
  const entry = { row, claims: markVerifiedApiKey(claims, hash), permissions, fetchedAt: Date.now() };
  cache.set(hash, entry);
  return entry;
}

function cached(hash: string): CachedKey | null {
  const entry = cache.get(hash);
  if (!entry) return null;
  if (Date.now() - entry.fetchedAt > CACHE_TTL_MS) {
    cache.delete(hash);
    return null;
  }
  return entry;
}

/** Diagnostics and tests: does this process hold a cached row for this plaintext key? */
export function isApiKeyCached(plaintext: string): boolean {
  return cached(hashApiKey(plaintext)) !== null;
}

/** The database's view of a presented key: the row, or null for an unknown hash. */
async function lookUp(hash: string): Promise<LookupRow | null> {
  const [row] = await withKeyVerifier((tx) =>
    tx.query<LookupRow>(
      `select key_id, org_id, project_id, permissions, expires_at, revoked_at, ip_allowlist, matched, previous_expires_at, checked_at
         from private.verify_api_key($1)`,
      [hash],
    ),
  );
  return row ?? null;
}

/** Refuses with the one generic error, logging the reason for a known key (an unknown key has no log). */
function refuse(row: LookupRow | null, reason: RejectionReason | null, ip: string | null): never {
  if (row && reason) recordKeyUse({ keyId: row.key_id, outcome: "failure", reason, ip });
  // AUD-5: counted per address; 20 failures from one address in a minute raise a high alert (lib/audit/events.ts).
  void noteSecurityEvent(SECURITY_EVENT.keyVerificationFailed, { orgId: row?.org_id ?? null, subject: ip ?? "unknown", details: { reason: reason ?? "unknown_key" } });
  throw new InvalidApiKeyError();
}

/**
 * KEY-2 / KEY-5, first half: `Authorization` header and client IP (as the trusted proxy reports it) -> the key
 * principal, from the per-process cache or one read-only lookup. Malformed input never reaches the database.
 * Not a final answer: the key must still be confirmed current, which withApiKeyTenant does in the transaction
 * that uses it (the partner API), and verifyApiKey does on its own. Database outages propagate as
 * DatabaseUnavailableError (503), never as an authentication failure.
 */
export async function resolveApiKey(authorization: string | null | undefined, ip: string | null): Promise<VerifiedApiKey> {
  const known = resolveCachedApiKey(authorization, ip);
  if (known) return known;
  const hash = hashApiKey(parseBearerApiKey(authorization)!);
  cache.delete(hash);
  const row = await lookUp(hash);
  const reason = row ? rejectionOf(row, ip) : null;
  if (!row || reason) refuse(row, reason, ip);
  return principal(remember(hash, row), ip);
}

/**
 * resolveApiKey's first step, synchronous: the key from the per-process cache, or null when the database must be
 * asked (not cached, or the cached row looks wrong). Throws InvalidApiKeyError for a malformed header and for an
 * address outside the key's allow-list. Callers on the hot path use it to skip an await (see lib/api/handler).
 */
export function resolveCachedApiKey(authorization: string | null | undefined, ip: string | null): VerifiedApiKey | null {
  const key = parseBearerApiKey(authorization);
  if (!key) throw new InvalidApiKeyError();
  const hash = hashApiKey(key);
  const entry = cached(hash);
  if (!entry) return null;
  // The allow-list never changes, so a cached row answers it. Anything else that looks wrong goes to the database.
  const reason = rejectionOf(entry.row, ip, Date.now());
  if (reason === "ip_not_allowed") refuse(entry.row, reason, ip);
  return reason ? null : principal(entry, ip);
}

function principal({ row, claims, permissions }: CachedKey, ip: string | null): VerifiedApiKey {
  return { claims, keyId: row.key_id, orgId: row.org_id, projectId: row.project_id, permissions, ip };
}

/**
 * KEY-2 / TEN-2, second half: fn in the key's tenant transaction, whose first round trip also confirms the key is
 * current (lib/db). A key revoked, expired, deleted or rolled past its grace since it was cached fails here with
 * InvalidApiKeyError and none of fn's statements runs; the reason goes to the key's log. A confirmed use is logged
 * as a success.
 *
 * fn is called once the database has confirmed the key. With `pipelined`, it is called at once instead, so that its
 * first statement travels in the same round trip as the confirmation. Only for fn whose work before its first
 * statement has no effect outside the transaction (read routes: parse, then query): every statement still waits
 * for the confirmation, and a refused key's statements never run. `singleStatement`: see withTenant.
 */
export function withApiKeyTenant<T>(
  key: VerifiedApiKey,
  fn: (tx: Queryable) => Promise<T>,
  options: { pipelined?: boolean; singleStatement?: boolean } = {},
): Promise<T> {
  const hash = presentedApiKeyHash(key.claims);
  let confirmed = false;
  // Not an async function: one promise fewer per request (see lib/ratelimit/timeout).
  return withTenant(key.claims, (tx, info) => {
    // The key check answers which secret was presented: 'current', or 'previous' during a roll's grace.
    const record = ({ check }: TenantConfirmation) => {
      confirmed = true;
      recordKeyUse({ keyId: key.keyId, outcome: "success", reason: check?.secret === "previous" ? "previous_key" : null, ip: key.ip });
    };
    // Pipelined: fn starts now; a refusal fails the transaction with the database's error (nothing is recorded).
    if (options.pipelined) {
      info.whenConfirmed(record);
      return fn(tx);
    }
    return info.confirmed.then((confirmation) => {
      record(confirmation);
      return fn(tx);
    });
  }, { singleStatement: options.singleStatement }).catch(async (error: unknown): Promise<never> => {
    if (confirmed || !isApiKeyNotCurrent(error) || !hash) throw error;
    cache.delete(hash);
    // Ask the database why, for the log; the caller only ever learns "invalid". A key that looks fine now but was
    // refused differs from what was cached (scope or permissions changed behind the app): `key_changed`.
    const row = await lookUp(hash);
    refuse(row, row ? (rejectionOf(row, key.ip) ?? "key_changed") : null, key.ip);
  });
}

/**
 * KEY-2 / KEY-5: the complete check in one call: resolveApiKey, then confirmation by the database that the key is
 * current (an empty withApiKeyTenant). Every failure is the one InvalidApiKeyError.
 */
export async function verifyApiKey(authorization: string | null | undefined, ip: string | null): Promise<VerifiedApiKey> {
  const key = await resolveApiKey(authorization, ip);
  await withApiKeyTenant(key, async () => undefined);
  return key;
}
