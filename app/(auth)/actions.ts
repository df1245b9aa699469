"use server";

import { randomUUID } from "node:crypto";
import { redirect } from "next/navigation";
import { z } from "zod";
import { signInWithPassword, switchOrganization, revokeSession } from "@/lib/auth/embedded/sign-in";
import { clearSecondFactorChallengeCookie, clearSessionCookie, getSession, secondFactorChallengeCookie, setIssuedSessionCookies, setSecondFactorChallengeCookie, setSessionCookie } from "@/lib/auth/current";
import { challengeSubject, completeSignInWithSecondFactor } from "@/lib/auth/embedded/second-factor";
import { recordAuthEvent } from "@/lib/auth/embedded/auth-events";
import { currentRequestContext } from "@/lib/http/request-context";
import { delayAfterFailure, secondFactorAllowed, signInAllowed } from "@/lib/auth/embedded/throttle";
import { DatabaseUnavailableError, isConnectionError } from "@/lib/db";
import { logger } from "@/lib/observability/logger";
import type { FormState } from "@/lib/actions/form-state";
import { noteSecurityEvent } from "@/lib/audit/alerts";
import { SECURITY_EVENT } from "@/lib/audit/events";
import { auditSignedIn } from "@/lib/audit/signed-in";
import { plainIssueMessage } from "@/lib/validation/messages";

const signInSchema = z.object({
  email: z.email("Enter a valid email address.").max(320).transform((v) => v.toLowerCase()),
  password: z.string().min(1, "Enter your password.").max(1024),
  // Only same-site relative paths: never an open redirect.
  next: z
    .string()
    .regex(/^\/(?!\/)[\w\-./?=&%]*$/)
    .catch("/overview"),
});

const UNAVAILABLE: FormState = { ok: false, message: "Sign-in is temporarily unavailable. Please try again." };

export async function signInAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const state = await attemptSignIn(formData);
  // A refused sign-in keeps the email that was typed (never the password); `attempt` makes each answer distinct.
  if (state.ok || !(formData instanceof FormData)) return state;
  return { ...state, values: { email: String(formData.get("email") ?? "").slice(0, 320), attempt: randomUUID() } };
}

async function attemptSignIn(formData: FormData): Promise<FormState> {
  // VAL-1: action ids are public, so anyone can post arbitrary arguments; only a form is a sign-in attempt.
  if (!(formData instanceof FormData)) return { ok: false, message: "Please correct the highlighted fields." };
  const parsed = signInSchema.safeParse(Object.fromEntries(formData), { error: plainIssueMessage });
  if (!parsed.success) {
    return { ok: false, message: "Please correct the highlighted fields.", fieldErrors: z.flattenError(parsed.error).fieldErrors };
  }
  const request = await currentRequestContext();
  let throttle;
  try {
    // IDN-5: both lockouts (per address and email, per account) are consulted before any password is checked.
    throttle = await signInAllowed(request.ip, parsed.data.email);
  } catch (error) {
    // Fail closed: limits that cannot be checked mean no password is checked either.
    logger.error({ scope: "auth", err: error }, "sign-in limits could not be checked");
    return UNAVAILABLE;
  }
  if (!throttle.allowed) {
    await recordAuthEvent({ kind: "sign_in.locked", userId: null, account: parsed.data.email, request });
    const minutes = Math.ceil(throttle.retryAfterSeconds / 60);
    return { ok: false, message: `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.` };
  }
  let issued;
  try {
    issued = await signInWithPassword({ email: parsed.data.email, password: parsed.data.password, ip: request.ip, userAgent: request.userAgent });
  } catch (error) {
    // Whether lib/db wrapped it yet or not (e.g. a refused pool connect): the database is not answering.
    if (error instanceof DatabaseUnavailableError || isConnectionError(error)) {
      logger.warn({ scope: "auth", err: error }, "sign-in: database unavailable");
      return UNAVAILABLE;
    }
    throw error;
  }
  if (!issued) {
    await recordAuthEvent({ kind: "sign_in.failed", userId: null, account: parsed.data.email, request });
    // AUD-3 / AUD-5: a refused sign-in names no org (none is disclosed); counted per address against its threshold rule.
    await noteSecurityEvent(SECURITY_EVENT.signInFailed, { subject: request.ip ?? "unknown", requestId: request.requestId });
    await delayAfterFailure(throttle);
    return { ok: false, message: "Email or password is incorrect." };
  }
  if (issued.challenge !== undefined) {
    // IDN-2: the password was right and the account has a second factor: nothing is signed in yet.
    await setSecondFactorChallengeCookie(issued.challenge, issued.expiresAt);
    redirect(`/sign-in/verify?next=${encodeURIComponent(parsed.data.next)}`);
  }
  await auditSignedIn(issued.token, request);
  await setIssuedSessionCookies(issued);
  redirect(parsed.data.next);
}

const secondStepSchema = z.object({
  code: z.string().trim().min(6, "Enter the code from your authenticator app, or a recovery code.").max(64),
  next: signInSchema.shape.next,
});

/** IDN-2: the second sign-in step (TOTP code or recovery code), after the password step's challenge. */
export async function verifySecondFactorAction(_prev: FormState, formData: FormData): Promise<FormState> {
  if (!(formData instanceof FormData)) return { ok: false, message: "Please correct the highlighted fields." };
  const parsed = secondStepSchema.safeParse(Object.fromEntries(formData), { error: plainIssueMessage });
  if (!parsed.success) return { ok: false, message: "Please correct the highlighted fields.", fieldErrors: z.flattenError(parsed.error).fieldErrors };
  const userId = await challengeSubject(await secondFactorChallengeCookie());
  if (!userId) return { ok: false, message: "This sign-in has expired. Sign in again with your password." };
  const request = await currentRequestContext();
  try {
    // RL-1 / IDN-5: second-factor attempts have their own limits per account and per address.
    const throttle = await secondFactorAllowed(request.ip, userId);
    if (!throttle.allowed) {
      await recordAuthEvent({ kind: "second_factor.locked", userId, account: null, request });
      const minutes = Math.ceil(throttle.retryAfterSeconds / 60);
      return { ok: false, message: `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.` };
    }
    const issued = await completeSignInWithSecondFactor({ userId, code: parsed.data.code, ip: request.ip, userAgent: request.userAgent });
    if (!issued) {
      await recordAuthEvent({ kind: "second_factor.failed", userId, account: null, request });
      await delayAfterFailure(throttle);
      return { ok: false, message: "That code is not valid. Codes work once; wait for the next one." };
    }
    await clearSecondFactorChallengeCookie();
    await auditSignedIn(issued.token, request);
    await setIssuedSessionCookies(issued);
  } catch (error) {
    if (error instanceof DatabaseUnavailableError || isConnectionError(error)) return UNAVAILABLE;
    logger.error({ scope: "auth", err: error }, "second sign-in step failed");
    return UNAVAILABLE;
  }
  redirect(parsed.data.next);
}

export async function signOutAction(): Promise<void> {
  const session = await getSession();
  // IDN-4: the session is revoked server-side, so a copied cookie stops working too.
  if (session) await revokeSession(session, session.sessionId).catch(() => false);
  await clearSessionCookie();
  redirect("/sign-in");
}

export async function switchOrganizationAction(formData: FormData): Promise<void> {
  const session = await getSession();
  if (!session) redirect("/sign-in");
  const orgId = z.string().regex(/^org_[A-Za-z0-9]{1,64}$/).safeParse(formData instanceof FormData ? formData.get("orgId") : null);
  const issued = orgId.success ? await switchOrganization(session, orgId.data) : null;
  if (issued) await setSessionCookie(issued.token, issued.expiresAt);
  redirect("/projects");
}
