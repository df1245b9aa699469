"use server";

import { redirect } from "next/navigation";
import { getSession, setSessionCookie } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { endSupportSession, startSupportSession } from "@/lib/support";
import type { FormState } from "@/lib/actions/form-state";

const field = (formData: unknown, name: string) => (formData instanceof FormData ? formData.get(name) : null);

/** TEN-8: an operator enters an org whose live consent names them (embedded provider). */
export async function startSupportAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const outcome = await startSupportSession(await getSession(), { orgId: field(formData, "orgId") }, await currentRequestContext());
  if (!outcome.ok) return { ok: false, message: outcome.message };
  await setSessionCookie(outcome.issued.token, outcome.issued.expiresAt);
  redirect("/projects");
}

/** Ends the support session (the banner's button): audited, then back to the operator's own session. */
export async function endSupportAction(): Promise<void> {
  const issued = await endSupportSession(await getSession(), await currentRequestContext());
  if (issued) await setSessionCookie(issued.token, issued.expiresAt);
  redirect("/support");
}
