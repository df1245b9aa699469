import "server-only";
import { hash as argon2Hash, verify as argon2Verify } from "@node-rs/argon2";
import { withEmbeddedIdp, withTenant, type Queryable } from "@/lib/db";
import type { Session, OrgRole } from "../claims";
import { issueSessionToken, newSessionId, type ActiveOrg, type SessionFactors } from "./tokens";
import { hasSecondFactor, issueSecondFactorChallenge } from "./second-factor";
import { startRefreshFamily } from "./refresh";
import { env } from "@/lib/env";
import { appendAudit } from "@/lib/audit/writer";

export interface IssuedSession {
  token: string;
  expiresAt: Date;
  challenge?: undefined;
  /** IDN-6: a new session's first refresh token (HttpOnly cookie until refreshExpiresAt, the session's end). */
  refreshToken?: string;
  refreshExpiresAt?: Date;
}

/** The password was right and the account has a second factor: the sign-in continues at /sign-in/verify. */
export interface SecondFactorRequired {
  token?: undefined;
  refreshToken?: undefined;
  challenge: string;
  expiresAt: Date;
  userId: string;
}

export interface Organization {
  id: string;
  role: OrgRole;
  slug: string;
  name: string;
}

// OWASP's argon2id baseline (m=19 MiB, t=2, p=1).
const ARGON2 = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2Hash(password, ARGON2);
}

// Compared against when the email is unknown, so a miss costs the same time as a wrong password.
let decoyHash: Promise<string> | undefined;

/**
 * IDN-2: email + password sign-in. Returns null for any failure; the caller shows one generic message. An account
 * with a second factor gets a challenge instead of a session: nothing is signed in until the second step.
 */
export async function signInWithPassword(input: { email: string; password: string; ip: string | null; userAgent: string | null }): Promise<IssuedSession | SecondFactorRequired | null> {
  const [credentials] = await withEmbeddedIdp((tx) =>
    tx.query<{ user_id: string; password_hash: string }>("select user_id, password_hash from idp.credentials_for_email($1)", [input.email]),
  );
  decoyHash ??= hashPassword("decoy-password-for-timing");
  const valid = await argon2Verify(credentials?.password_hash ?? (await decoyHash), input.password).catch(() => false);
  if (!credentials || !valid) return null;
  if (await withEmbeddedIdp((tx) => hasSecondFactor(tx, credentials.user_id))) {
    return { ...(await issueSecondFactorChallenge(credentials.user_id)), userId: credentials.user_id };
  }

  const orgs = await organizationsOf(credentials.user_id);
  const sessionId = newSessionId();
  const expiresAt = new Date(Date.now() + env.SESSION_TTL_SECONDS * 1000);
  const refreshToken = await withEmbeddedIdp(async (tx) => {
    await tx.query("select idp.start_session($1, $2, $3, $4, $5)", [sessionId, credentials.user_id, expiresAt.toISOString(), input.ip, input.userAgent]);
    return startRefreshFamily(tx, sessionId, orgs[0]?.id ?? null);
  });
  const issued = await issueSessionToken({ userId: credentials.user_id, sessionId, org: orgs[0] ? toActiveOrg(orgs[0]) : null, ttlSeconds: env.SESSION_TOKEN_TTL_SECONDS });
  return { ...issued, refreshToken, refreshExpiresAt: expiresAt };
}

export async function organizationsOf(userId: string): Promise<Organization[]> {
  return withEmbeddedIdp((tx) => tx.query<Organization>("select org_id as id, role, slug, name from idp.user_organizations($1)", [userId]));
}

function toActiveOrg(org: Organization): ActiveOrg {
  return { id: org.id, role: org.role, slug: org.slug };
}

/** Org switcher: a new token for the same session, only for an org the user is a member of. */
export async function switchOrganization(session: Session, orgId: string): Promise<IssuedSession | null> {
  const org = (await organizationsOf(session.userId)).find((o) => o.id === orgId);
  if (!org) return null;
  const remaining = Math.floor((session.expiresAt.getTime() - Date.now()) / 1000);
  if (remaining < 60) return null;
  // The new token carries the session's factors as recorded, not as claimed by the old token.
  const factors = await sessionFactors(session.sessionId, session.userId);
  if (!factors) return null;
  // IDN-6: later refreshes of this session issue tokens for this org.
  await withEmbeddedIdp((tx) => tx.query("select idp.set_active_org($1, $2, $3)", [session.sessionId, session.userId, org.id]));
  return issueSessionToken({ userId: session.userId, sessionId: session.sessionId, org: toActiveOrg(org), ttlSeconds: Math.min(remaining, env.SESSION_TOKEN_TTL_SECONDS), factors });
}

/** When a live session's first and second factors were verified; null when it is revoked or expired. */
export async function sessionFactors(sessionId: string, userId: string): Promise<(SessionFactors & { method: string | null }) | null> {
  const [row] = await withEmbeddedIdp((tx) =>
    tx.query<{ first_factor_at: Date; second_factor_at: Date | null; second_factor_method: string | null }>("select * from idp.session_factors($1, $2)", [sessionId, userId]),
  );
  if (!row) return null;
  return { firstFactorAt: new Date(row.first_factor_at), secondFactorAt: row.second_factor_at ? new Date(row.second_factor_at) : null, method: row.second_factor_method };
}

export interface SessionRow {
  id: string;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  ip: string | null;
  user_agent: string | null;
  /** IDN-6: the last refresh (null until the first one). */
  last_seen_at: Date | null;
  second_factor_method: "totp" | "recovery_code" | "passkey" | null;
}

/** IDN-4: the signed-in user's own sessions (RLS: sessions_select_own). */
export function listSessions(session: Session): Promise<SessionRow[]> {
  return withTenant(session.claims, ownSessions);
}

/** The same, inside a tenant transaction the caller holds (the dashboard's page pipeline). */
export function ownSessions(tx: Queryable): Promise<SessionRow[]> {
  return tx.query<SessionRow>("select id, created_at, expires_at, revoked_at, ip, user_agent, last_seen_at, second_factor_method from idp.sessions order by created_at desc limit 50");
}

/** IDN-4: revoke one of the user's own sessions; takes effect on that session's next request. */
export async function revokeSession(session: Session, sessionId: string): Promise<boolean> {
  const rows = await withTenant(session.claims, async (tx) => {
    const revoked = await tx.query("update idp.sessions set revoked_at = now() where id = $1 and revoked_at is null returning id", [sessionId]);
    // AUD-3: a revocation is recorded in the active org's chain, in the same transaction.
    if (revoked.length === 1 && session.orgId) {
      await appendAudit(tx, { orgId: session.orgId, actorType: "user", actorId: session.userId, action: "auth.session_revoked", targetType: "session", targetId: sessionId, changes: { own: sessionId === session.sessionId } });
    }
    return revoked;
  });
  return rows.length === 1;
}

/** IDN-4: revoke every other session of the signed-in user (their refresh families end with them). */
export async function revokeOtherSessions(session: Session): Promise<number> {
  return withTenant(session.claims, async (tx) => {
    const [row] = await tx.query<{ revoked: number }>("select idp.revoke_other_sessions() as revoked");
    const revoked = row?.revoked ?? 0;
    // AUD-3: recorded in the active org's chain, in the same transaction (as a single revocation is).
    if (revoked > 0 && session.orgId) {
      await appendAudit(tx, { orgId: session.orgId, actorType: "user", actorId: session.userId, action: "auth.other_sessions_revoked", targetType: "session", targetId: session.sessionId, changes: { revoked } });
    }
    return revoked;
  });
}
