"use server";

import { redirect } from "next/navigation";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getSession, setSessionCookie } from "@/lib/auth/current";
import { beginTotpEnrolment, verifyOwnTotp } from "@/lib/auth/embedded/second-factor";
import { delayAfterFailure, secondFactorAllowed } from "@/lib/auth/embedded/throttle";
import { recordAuthEvent } from "@/lib/auth/embedded/auth-events";
import { setOrgSecondFactorRule } from "@/lib/auth/org-second-factor";
import { currentRequestContext } from "@/lib/http/request-context";
import type { FormState } from "@/lib/actions/form-state";
import type { RecoveryCodesFormState } from "@/components/account/security-forms";

const PAGE = "/account/security";
const codeSchema = z.string().trim().regex(/^[0-9]{6}$/, "Enter the 6-digit code from your authenticator app.");
const nextSchema = z.string().regex(/^\/(?!\/)[\w\-./?=&%]*$/).catch("/projects");

/** IDN-2: enrolment, step 1: a pending secret, shown on the page as a QR code and as text. */
export async function startTotpEnrolmentAction(): Promise<void> {
  const session = await getSession();
  if (!session) redirect("/sign-in");
  await beginTotpEnrolment(session);
  redirect(PAGE);
}

/** Confirms the pending secret with a code; the recovery codes are in this response only (shown once). */
export async function confirmTotpAction(_prev: RecoveryCodesFormState, formData: FormData): Promise<RecoveryCodesFormState> {
  if (!(formData instanceof FormData)) return { ok: false, message: "Please correct the highlighted fields." };
  return checkCode(formData, true);
}

/** IDN-5: "Verify now": a code steps the session up (fva[1] = 0), then back to where the person was. */
export async function stepUpAction(_prev: FormState, formData: FormData): Promise<FormState> {
  if (!(formData instanceof FormData)) return { ok: false, message: "Please correct the highlighted fields." };
  const result = await checkCode(formData, false);
  if (!result.ok) return result;
  redirect(nextSchema.parse(formData.get("next") ?? "/projects"));
}

async function checkCode(formData: FormData, confirmEnrolment: boolean): Promise<RecoveryCodesFormState> {
  const session = await getSession();
  if (!session) redirect("/sign-in");
  const code = codeSchema.safeParse(formData.get("code") ?? "");
  if (!code.success) return { ok: false, message: "Please correct the highlighted fields.", fieldErrors: { code: code.error.issues.map((i) => i.message) } };
  const request = await currentRequestContext();
  const throttle = await secondFactorAllowed(request.ip, session.userId);
  if (!throttle.allowed) {
    await recordAuthEvent({ kind: "second_factor.locked", userId: session.userId, account: null, request });
    return { ok: false, message: `Too many attempts. Try again in ${Math.ceil(throttle.retryAfterSeconds / 60)} minute(s).` };
  }
  const result = await verifyOwnTotp(session, code.data, { confirmEnrolment });
  if (!result.ok) {
    await recordAuthEvent({ kind: "second_factor.failed", userId: session.userId, account: null, request });
    await delayAfterFailure(throttle);
    return { ok: false, message: "That code is not valid. Codes work once; wait for the next one." };
  }
  await setSessionCookie(result.token, result.expiresAt);
  revalidatePath(PAGE);
  return { ok: true, message: confirmEnrolment ? "Two-step verification is on." : "Verified.", recoveryCodes: result.recoveryCodes ?? undefined };
}

/** IDN-5: owners set the org's rule. */
export async function setSecondFactorRuleAction(_prev: FormState, formData: FormData): Promise<FormState> {
  if (!(formData instanceof FormData)) return { ok: false, message: "Please correct the highlighted fields." };
  const values = { required: formData.get("required") === "on" ? "on" : "", windowMinutes: String(formData.get("windowMinutes") ?? "") };
  const result = await setOrgSecondFactorRule(await getSession(), values, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message, fieldErrors: result.fieldErrors, values };
  revalidatePath(PAGE);
  return { ok: true, message: result.data.required ? "Two-step verification is now required in this organisation." : "Two-step verification is no longer required." };
}
