"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { getSession, setIssuedSessionCookies, setSessionCookie } from "@/lib/auth/current";
import { resolveSession } from "@/lib/auth/session";
import { signInWithPassword, switchOrganization } from "@/lib/auth/embedded/sign-in";
import { currentRequestContext } from "@/lib/http/request-context";
import { auditLinkRedeemed, createLinkAccount, previewProjectLink, redeemProjectLink, type LinkRedeemOutcome } from "@/lib/grants";
import { createLinkAccountSchema } from "@/lib/grants/schemas";
import type { Session } from "@/lib/auth/claims";
import type { FormState } from "@/lib/actions/form-state";
import { plainIssueMessage } from "@/lib/validation/messages";

const REFUSED: Record<Exclude<LinkRedeemOutcome, "granted" | "already">, string> = {
  invalid: "This link is not valid. Check that you copied the whole link, or ask the project's manager for a new one.",
  expired: "This link has expired. Ask the project's manager for a new one.",
  revoked: "This link was revoked. Ask the project's manager for a new one.",
  used: "This link has been used as many times as allowed. Ask the project's manager for a new one.",
  wrong_project: "This link belongs to another project. Open the link exactly as you received it.",
};

const linkOf = (formData: FormData) => ({
  projectId: z.uuid().safeParse(formData.get("projectId")).data ?? "",
  token: z.string().max(100).safeParse(formData.get("token")).data ?? "",
});

/** Redeem, switch the session to the link's org, record it (AUD-3), and open the project. */
async function redeem(session: Session, projectId: string, token: string): Promise<FormState> {
  if (!projectId) return { ok: false, message: REFUSED.invalid };
  const result = await redeemProjectLink(session, projectId, token);
  if (result.outcome !== "granted" && result.outcome !== "already") return { ok: false, message: REFUSED[result.outcome] };
  const issued = await switchOrganization(session, result.orgId!);
  if (issued) {
    await setSessionCookie(issued.token, issued.expiresAt);
    const orgSession = await resolveSession(issued.token);
    if (orgSession && result.outcome === "granted") await auditLinkRedeemed(orgSession, result, await currentRequestContext());
  }
  redirect(`/projects/${projectId}`);
}

export async function acceptLinkAction(_prev: FormState, formData: FormData): Promise<FormState> {
  if (!(formData instanceof FormData)) return { ok: false, message: REFUSED.invalid };
  const session = await getSession();
  if (!session) return { ok: false, message: "Sign in first." };
  const { projectId, token } = linkOf(formData);
  return redeem(session, projectId, token);
}

/** Embedded provider: create an account (an email without one), sign in, and redeem. Input is kept on errors. */
export async function createAccountAndRedeemAction(_prev: FormState, formData: FormData): Promise<FormState> {
  if (!(formData instanceof FormData)) return { ok: false, message: REFUSED.invalid };
  const { projectId, token } = linkOf(formData);
  const values = { email: String(formData.get("email") ?? "").slice(0, 320), displayName: String(formData.get("displayName") ?? "").slice(0, 100) };
  const parsed = createLinkAccountSchema.safeParse({ email: formData.get("email"), displayName: formData.get("displayName") ?? "", password: formData.get("password") }, { error: plainIssueMessage });
  if (!parsed.success) return { ok: false, message: "Please correct the highlighted fields.", fieldErrors: z.flattenError(parsed.error).fieldErrors, values };
  const preview = await previewProjectLink(projectId, token);
  if (preview.status !== "valid") return { ok: false, message: REFUSED[preview.status] };
  const userId = await createLinkAccount(token, parsed.data);
  if (!userId) return { ok: false, message: "An account with this email exists already: sign in to accept the link.", values };
  const request = await currentRequestContext();
  const issued = await signInWithPassword({ email: parsed.data.email, password: parsed.data.password, ip: request.ip, userAgent: request.userAgent });
  const session = issued && issued.challenge === undefined ? await resolveSession(issued.token) : null;
  if (!issued || issued.challenge !== undefined || !session) return { ok: false, message: "The account was created but signing in failed. Sign in to accept the link." };
  await setIssuedSessionCookies(issued);
  return redeem(session, projectId, token);
}
