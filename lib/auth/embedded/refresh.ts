import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { withEmbeddedIdp, type Queryable } from "@/lib/db";
import { env } from "@/lib/env";
import { logger } from "@/lib/observability/logger";
import { issueSessionToken } from "./tokens";
import { organizationsOf } from "./sign-in";

/**
 * IDN-6: refresh-token rotation. Session tokens live SESSION_TOKEN_TTL_SECONDS (minutes); a refresh token in an
 * HttpOnly cookie renews them, and every renewal uses it up and returns its child. A used token presented again
 * revokes the session (its whole family) everywhere, records an authentication event and notifies the user; only
 * the immediate parent of the newest token is accepted again, within REFRESH_GRACE_SECONDS (idp.rotate_refresh_token).
 */
export { REFRESH_COOKIE_NAME } from "../cookie-name";

export function newRefreshToken(): string {
  return `rt_${randomBytes(32).toString("base64url")}`;
}

export function refreshTokenHash(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** The first refresh token of a new session (at sign-in), in the caller's embedded_idp transaction. */
export async function startRefreshFamily(tx: Queryable, sessionId: string, orgId: string | null): Promise<string> {
  const token = newRefreshToken();
  await tx.query("select idp.start_refresh_family($1, $2, $3)", [sessionId, refreshTokenHash(token), orgId]);
  return token;
}

export type RefreshOutcome =
  | { ok: true; token: string; expiresAt: Date; refreshToken: string; refreshExpiresAt: Date; outcome: "rotated" | "grace" }
  | { ok: false; outcome: "invalid" | "reused" | "malformed" };

/** One refresh: a new session token and the next refresh token, or why not. */
export async function refreshSession(
  presented: string | null | undefined,
  request: { ip: string | null; userAgent: string | null },
  graceSeconds = env.REFRESH_GRACE_SECONDS,
): Promise<RefreshOutcome> {
  if (!presented || !/^rt_[A-Za-z0-9_-]{43}$/.test(presented)) return { ok: false, outcome: "malformed" };
  const next = newRefreshToken();
  const [row] = await withEmbeddedIdp((tx) =>
    tx.query<{ outcome: string; session_id: string | null; user_id: string | null; active_org_id: string | null; first_factor_at: Date | null; second_factor_at: Date | null; expires_at: Date | null }>(
      "select * from idp.rotate_refresh_token($1, $2, $3, $4, $5)",
      [refreshTokenHash(presented), refreshTokenHash(next), graceSeconds, request.ip, request.userAgent],
    ),
  );
  if (!row || (row.outcome !== "rotated" && row.outcome !== "grace")) {
    if (row?.outcome === "reused") logger.warn({ scope: "auth", sessionId: row.session_id }, "refresh token reused: session revoked");
    return { ok: false, outcome: row?.outcome === "reused" ? "reused" : "invalid" };
  }
  const orgs = await organizationsOf(row.user_id!);
  const org = orgs.find((o) => o.id === row.active_org_id) ?? orgs[0];
  const sessionExpiresAt = new Date(row.expires_at!);
  const remaining = Math.floor((sessionExpiresAt.getTime() - Date.now()) / 1000);
  const issued = await issueSessionToken({
    userId: row.user_id!,
    sessionId: row.session_id!,
    org: org ? { id: org.id, role: org.role, slug: org.slug } : null,
    ttlSeconds: Math.max(1, Math.min(env.SESSION_TOKEN_TTL_SECONDS, remaining)),
    factors: { firstFactorAt: new Date(row.first_factor_at!), secondFactorAt: row.second_factor_at ? new Date(row.second_factor_at) : null },
  });
  return { ok: true, ...issued, refreshToken: next, refreshExpiresAt: sessionExpiresAt, outcome: row.outcome };
}
