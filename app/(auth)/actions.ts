"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { signInWithPassword, switchOrganization, revokeSession } from "@/lib/auth/embedded/sign-in";
import { clearSessionCookie, getSession, setSessionCookie } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { signInAllowed } from "@/lib/auth/embedded/throttle";
import { DatabaseUnavailableError, isConnectionError } from "@/lib/db";
import { logger } from "@/lib/observability/logger";
import type { FormState } from "@/lib/actions/form-state";
import { noteSecurityEvent } from "@/lib/audit/alerts";
import { SECURITY_EVENT } from "@/lib/audit/events";
import { recordOnly } from "@/lib/audit/record-only";
import { resolveSession } from "@/lib/auth/session";

const signInSchema = z.object({
  email: z.email("Enter a valid email address.").max(320).transform((v) => v.toLowerCase()),
  password: z.string().min(1, "Enter your password.").max(1024),
  // Only same-site relative paths: never an open redirect.
  next: z
    .string()
    .regex(/^\/(?!\/)[\w\-./?=&%]*$/)
    .catch("/projects"),
});

const UNAVAILABLE: FormState = { ok: false, message: "Sign-in is temporarily unavailable. Please try again." };

export async function signInAction(_prev: FormState, formData: FormData): Promise<FormState> {
  // VAL-1: action ids are public, so anyone can post arbitrary arguments; only a form is a sign-in attempt.
  if (!(formData instanceof FormData)) return { ok: false, message: "Please correct the highlighted fields." };
  const parsed = signInSchema.safeParse(Object.fromEntries(formData));
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
    // AUD-3 / AUD-5: a refused sign-in names no org (none is disclosed); counted per address against its threshold rule.
    await noteSecurityEvent(SECURITY_EVENT.signInFailed, { subject: request.ip ?? "unknown", requestId: request.requestId });
    return { ok: false, message: "Email or password is incorrect." };
  }
  // AUD-3: a sign-in is recorded in the active org's chain; a failed write never fails the sign-in (AUD-4).
  const signedIn = await resolveSession(issued.token).catch(() => null);
  if (signedIn?.orgId) {
    await recordOnly(signedIn.claims, { orgId: signedIn.orgId, actorType: "user", actorId: signedIn.userId, action: "auth.signed_in", targetType: "session", targetId: signedIn.sessionId, ...request });
  }
  await setSessionCookie(issued.token, issued.expiresAt);
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
