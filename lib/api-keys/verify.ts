import "server-only";
import { withAnonymous } from "@/lib/db";
import { markVerified, type ApiKeyClaims, type VerifiedClaims } from "@/lib/auth/claims";
import { AppError } from "@/lib/errors";
import { hashApiKey, parseBearerApiKey } from "./key-format";
import { ipAllowed } from "./ip-allowlist";
import type { ApiKeyPermission } from "./schemas";

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
}

/** Why a known key was refused; recorded in key_verifications, never returned to the caller. */
export type RejectionReason = "revoked" | "expired" | "previous_key_expired" | "ip_not_allowed";

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

const time = (d: Date | string) => new Date(d).getTime();

function rejectionOf(row: LookupRow, ip: string | null): RejectionReason | null {
  // Times are compared with the database clock, the same for every app instance.
  const now = time(row.checked_at);
  if (row.revoked_at) return "revoked";
  if (row.expires_at && time(row.expires_at) <= now) return "expired";
  if (row.matched === "previous" && (!row.previous_expires_at || time(row.previous_expires_at) <= now)) return "previous_key_expired";
  if (row.ip_allowlist && row.ip_allowlist.length > 0 && !ipAllowed(ip, row.ip_allowlist)) return "ip_not_allowed";
  return null;
}

/**
 * KEY-2 / KEY-5: `Authorization` header and the client IP (as the trusted proxy reports it) -> a verified key
 * principal, or InvalidApiKeyError. Malformed input never reaches the database. Every request reads the key row
 * (no cache), so a revocation takes effect on the next request on every instance. Database outages propagate as
 * DatabaseUnavailableError (503), never as an authentication failure.
 */
export async function verifyApiKey(authorization: string | null | undefined, ip: string | null): Promise<VerifiedApiKey> {
  const key = parseBearerApiKey(authorization);
  if (!key) throw new InvalidApiKeyError();
  const hash = hashApiKey(key);

  const accepted = await withAnonymous(async (tx) => {
    const [row] = await tx.query<LookupRow>(
      `select key_id, org_id, project_id, permissions, expires_at, revoked_at, ip_allowlist, matched, previous_expires_at, checked_at
         from private.verify_api_key($1)`,
      [hash],
    );
    // An unknown key belongs to no org, so there is no log to write it to.
    if (!row) return null;
    const reason = rejectionOf(row, ip);
    await tx.query("select private.record_key_use($1, $2, $3, $4)", [
      row.key_id,
      reason ? "failure" : "success",
      reason ?? (row.matched === "previous" ? "previous_key" : null),
      ip ? ip.slice(0, 64) : null,
    ]);
    return reason ? null : row;
  });
  if (!accepted) throw new InvalidApiKeyError();

  const permissions = [...accepted.permissions];
  const claims: ApiKeyClaims = {
    sub: `key_${accepted.key_id}`,
    o: { id: accepted.org_id, rol: "api" },
    key: { id: accepted.key_id, project_id: accepted.project_id, permissions },
  };
  return { claims: markVerified(claims), keyId: accepted.key_id, orgId: accepted.org_id, projectId: accepted.project_id, permissions };
}
