import "server-only";
import { appendAudit } from "@/lib/audit/writer";
import { createHash, randomBytes } from "node:crypto";
import { generateSecret, generateURI, verify as verifyTotp } from "otplib";
import QRCode from "qrcode";
import { SignJWT, jwtVerify } from "jose";
import { withEmbeddedIdp, withTenant, type Queryable } from "@/lib/db";
import type { Session } from "../claims";
import { signingKey } from "./keys";
import { EMBEDDED_ISSUER, issueSessionToken, newSessionId, type SessionFactors } from "./tokens";
import { organizationsOf } from "./sign-in";
import { startRefreshFamily } from "./refresh";
import { env } from "@/lib/env";

/**
 * IDN-2: second factors of the embedded identity provider. TOTP (RFC 6238, 30-second steps, SHA-1, 6 digits: what
 * every authenticator app reads from the QR code) and one-time recovery codes. A code is accepted once: the last
 * accepted time step is stored, and a code counts only through an UPDATE that requires a later step.
 */
const PERIOD = 30;
/** One step either side of now: a phone clock a little off still works; nothing older than 30 s before counts. */
const TOLERANCE_SECONDS = 30;
export const RECOVERY_CODE_COUNT = 10;
const CHALLENGE_AUDIENCE = "tenantguard:second-factor";
const CHALLENGE_TTL_SECONDS = 300;

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The otpauth:// URI an authenticator app reads, and the same as a QR code (a data: URL, rendered as an image). */
export async function totpEnrolment(email: string, secret: string): Promise<{ uri: string; qrDataUrl: string }> {
  const uri = generateURI({ issuer: "TenantGuard", label: email, secret, period: PERIOD });
  return { uri, qrDataUrl: await QRCode.toDataURL(uri, { errorCorrectionLevel: "M", margin: 1, width: 200 }) };
}

/** The time step a code matches for this secret, or null. Replay is the database's check, not this one's. */
export async function totpStep(secret: string, code: string, epochSeconds = Math.floor(Date.now() / 1000)): Promise<number | null> {
  if (!/^[0-9]{6}$/.test(code)) return null;
  const result = await verifyTotp({ secret, token: code, period: PERIOD, epoch: epochSeconds, epochTolerance: TOLERANCE_SECONDS }).catch(() => null);
  return result?.valid ? Math.floor(epochSeconds / PERIOD) + result.delta : null;
}

export function recoveryCodeHash(code: string): Buffer {
  return createHash("sha256").update(normaliseRecoveryCode(code)).digest();
}

function normaliseRecoveryCode(code: string): string {
  return code.trim().toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Ten codes of 80 random bits each (`xxxxx-xxxxx-xxxxx-xxxxx`, base32 lower case); only their hashes are stored. */
export function newRecoveryCodes(): string[] {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(20);
    const chars = Array.from(bytes, (b) => alphabet[b & 31]).join("");
    return chars.match(/.{5}/g)!.join("-");
  });
}

export function isRecoveryCodeShape(code: string): boolean {
  return /^[a-z2-7]{20}$/.test(normaliseRecoveryCode(code));
}

export interface OwnSecondFactors {
  totp: boolean;
  totpPending: boolean;
  recoveryCodesLeft: number;
}

export async function ownSecondFactors(tx: Queryable): Promise<OwnSecondFactors> {
  const [row] = await tx.query<{ totp: boolean; totp_pending: boolean; recovery_codes_left: number }>("select * from idp.own_second_factors()");
  return { totp: row?.totp === true, totpPending: row?.totp_pending === true, recoveryCodesLeft: row?.recovery_codes_left ?? 0 };
}

/** Enrolment, step 1: a new secret for the signed-in user, pending until a code confirms it. Null when one is enabled already. */
export async function beginTotpEnrolment(session: Session): Promise<string | null> {
  const secret = newTotpSecret();
  const started = await withTenant(session.claims, (tx) => tx.query<{ started: boolean }>("select idp.begin_own_totp_enrolment($1) as started", [secret]));
  return started[0]?.started ? secret : null;
}

export type StepUpResult = { ok: true; token: string; expiresAt: Date; recoveryCodes: string[] | null } | { ok: false };

/**
 * A code for the signed-in user's own factor: confirms a pending enrolment (then issues recovery codes) or steps up
 * the session. Either way the session's second factor is now, and a new token carries it (`fva[1] = 0`).
 */
export async function verifyOwnTotp(session: Session, code: string, options: { confirmEnrolment: boolean }): Promise<StepUpResult> {
  const result = await withTenant(session.claims, async (tx) => {
    const [row] = await tx.query<{ secret: string | null }>("select idp.own_totp_secret() as secret");
    if (!row?.secret) return null;
    const step = await totpStep(row.secret, code);
    if (step === null) return null;
    const [factors] = await tx.query<{ first_factor_at: Date; second_factor_at: Date }>("select * from idp.accept_own_totp_step($1, $2)", [step, options.confirmEnrolment]);
    if (!factors) return null;
    // AUD-3: enabling TOTP and stepping a session up are recorded in the active org's chain, in the same transaction.
    if (session.orgId) {
      await appendAudit(tx, { orgId: session.orgId, actorType: "user", actorId: session.userId, action: options.confirmEnrolment ? "auth.second_factor_enabled" : "auth.stepped_up", targetType: "session", targetId: session.sessionId, changes: { method: "totp" } });
    }
    let recoveryCodes: string[] | null = null;
    if (options.confirmEnrolment) {
      const [existing] = await tx.query<{ recovery_codes_left: number }>("select recovery_codes_left from idp.own_second_factors()");
      if ((existing?.recovery_codes_left ?? 0) === 0) {
        recoveryCodes = newRecoveryCodes();
        await tx.query("select idp.replace_own_recovery_codes($1::bytea[])", [recoveryCodes.map(recoveryCodeHash)]);
      }
    }
    return { factors: { firstFactorAt: new Date(factors.first_factor_at), secondFactorAt: new Date(factors.second_factor_at) }, recoveryCodes };
  });
  if (!result) return { ok: false };
  const issued = await reissue(session, result.factors);
  return { ok: true, ...issued, recoveryCodes: result.recoveryCodes };
}

/** New recovery codes (the old ones stop working), for a user whose TOTP factor is enabled. */
export async function regenerateRecoveryCodes(session: Session): Promise<string[]> {
  const codes = newRecoveryCodes();
  await withTenant(session.claims, (tx) => tx.query("select idp.replace_own_recovery_codes($1::bytea[])", [codes.map(recoveryCodeHash)]));
  return codes;
}

async function reissue(session: Session, factors: SessionFactors) {
  const remaining = Math.floor((session.expiresAt.getTime() - Date.now()) / 1000);
  const org = session.orgId && session.orgRole ? { id: session.orgId, role: session.orgRole, slug: session.orgSlug ?? "" } : null;
  return issueSessionToken({ userId: session.userId, sessionId: session.sessionId, org, factors, ttlSeconds: Math.max(60, Math.min(remaining, env.SESSION_TOKEN_TTL_SECONDS)) });
}

// --- The second sign-in step ---------------------------------------------------------------------------------

/** After the password: a short-lived signed challenge naming the user, kept in an HttpOnly cookie. Never a session. */
export async function issueSecondFactorChallenge(userId: string): Promise<{ challenge: string; expiresAt: Date }> {
  const { kid, privateKey } = await signingKey();
  const now = Math.floor(Date.now() / 1000);
  const challenge = await new SignJWT({ nonce: randomBytes(12).toString("base64url") })
    .setProtectedHeader({ alg: "RS256", kid, typ: "second-factor-challenge" })
    .setSubject(userId)
    .setIssuer(EMBEDDED_ISSUER)
    .setAudience(CHALLENGE_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + CHALLENGE_TTL_SECONDS)
    .sign(privateKey);
  return { challenge, expiresAt: new Date((now + CHALLENGE_TTL_SECONDS) * 1000) };
}

/** The user a challenge names, or null (forged, expired, or not a challenge). */
export async function challengeSubject(challenge: string | undefined | null): Promise<string | null> {
  if (!challenge || challenge.length > 4096) return null;
  try {
    const { payload, protectedHeader } = await jwtVerify(challenge, (await signingKey()).verificationKey, {
      algorithms: ["RS256"],
      issuer: EMBEDDED_ISSUER,
      audience: CHALLENGE_AUDIENCE,
      requiredClaims: ["exp", "sub"],
    });
    if (protectedHeader.typ !== "second-factor-challenge" || typeof payload.sub !== "string" || !/^user_[A-Za-z0-9]{1,64}$/.test(payload.sub)) return null;
    return payload.sub;
  } catch {
    return null;
  }
}

export interface SecondStepInput {
  userId: string;
  code: string;
  ip: string | null;
  userAgent: string | null;
}

/**
 * The second sign-in step: a TOTP code (accepted once per time step) or an unused recovery code (then used). On
 * success the session starts with both factors, and its token says so (`fva: [0, 0]`). Null for any failure.
 */
export async function completeSignInWithSecondFactor(
  input: SecondStepInput,
): Promise<{ token: string; expiresAt: Date; method: "totp" | "recovery_code"; refreshToken: string; refreshExpiresAt: Date } | null> {
  const method = isRecoveryCodeShape(input.code) ? "recovery_code" : "totp";
  const accepted = await withEmbeddedIdp(async (tx) => {
    if (method === "recovery_code") {
      const [row] = await tx.query<{ used: boolean }>("select idp.use_recovery_code($1, $2) as used", [input.userId, recoveryCodeHash(input.code)]);
      return row?.used === true;
    }
    const [row] = await tx.query<{ secret: string | null }>("select idp.totp_secret_of($1) as secret", [input.userId]);
    if (!row?.secret) return false;
    const step = await totpStep(row.secret, input.code.trim());
    if (step === null) return false;
    const [acceptedRow] = await tx.query<{ accepted: boolean }>("select idp.accept_totp_step($1, $2) as accepted", [input.userId, step]);
    return acceptedRow?.accepted === true;
  });
  if (!accepted) return null;
  return startSecondFactorSession(input, method);
}

/** A session verified with both factors: its row, its first refresh token, and a token with `fva: [0, 0]`. */
export async function startSecondFactorSession<M extends "totp" | "recovery_code" | "passkey">(
  input: { userId: string; ip: string | null; userAgent: string | null },
  method: M,
): Promise<{ token: string; expiresAt: Date; method: M; refreshToken: string; refreshExpiresAt: Date }> {
  const orgs = await organizationsOf(input.userId);
  const sessionId = newSessionId();
  const expiresAt = new Date(Date.now() + env.SESSION_TTL_SECONDS * 1000);
  const refreshToken = await withEmbeddedIdp(async (tx) => {
    await tx.query("select idp.start_session_with_second_factor($1, $2, $3, $4, $5, $6)", [sessionId, input.userId, expiresAt.toISOString(), input.ip, input.userAgent, method]);
    if (method === "recovery_code") await tx.query("select idp.record_auth_event('recovery_code.used', $1, null, $2, $3)", [input.userId, input.ip, input.userAgent]);
    return startRefreshFamily(tx, sessionId, orgs[0]?.id ?? null);
  });
  const now = new Date();
  const org = orgs[0] ? { id: orgs[0].id, role: orgs[0].role, slug: orgs[0].slug } : null;
  const issued = await issueSessionToken({ userId: input.userId, sessionId, org, factors: { firstFactorAt: now, secondFactorAt: now }, ttlSeconds: env.SESSION_TOKEN_TTL_SECONDS });
  return { ...issued, method, refreshToken, refreshExpiresAt: expiresAt };
}

/** Whether the user has a second factor the sign-in must ask for. */
export async function hasSecondFactor(tx: Queryable, userId: string): Promise<boolean> {
  const [row] = await tx.query<{ totp: boolean }>("select totp from idp.second_factors_of($1)", [userId]);
  return row?.totp === true;
}
