"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { getSession, setIssuedSessionCookies, setSessionCookie } from "@/lib/auth/current";
import { resolveSession } from "@/lib/auth/session";
import { signInWithPassword, switchOrganization } from "@/lib/auth/embedded/sign-in";
import { currentRequestContext } from "@/lib/http/request-context";
import { auditInviteRedeemed, createInvitedAccount, previewInvite, redeemInvite, type RedeemOutcome } from "@/lib/members";
import { createInvitedAccountSchema } from "@/lib/members/schemas";
import type { Session } from "@/lib/auth/claims";
import type { FormState } from "@/lib/actions/form-state";
import { plainIssueMessage } from "@/lib/validation/messages";

const REFUSED: Record<Exclude<RedeemOutcome, "joined" | "already_member">, string> = {
  invalid: "This invite link is not valid. Ask an admin of the organisation for a new one.",
  expired: "This invite link has expired. Ask an admin of the organisation for a new one.",
  revoked: "This invite link was revoked. Ask an admin of the organisation for a new one.",
  used: "This invite link has already been used. Ask an admin of the organisation for a new one.",
  wrong_account: "This invite is for another email address. Sign out and sign in with the invited account.",
};

const tokenOf = (formData: FormData) => z.string().max(100).safeParse(formData.get("token")).data ?? "";

/** Redeem, switch the session to the invite's org, record it (AUD-3), and go to the org's projects. */
async function join(session: Session, token: string): Promise<FormState> {
  const result = await redeemInvite(session, token);
  if (result.outcome !== "joined" && result.outcome !== "already_member") return { ok: false, message: REFUSED[result.outcome] };
  const issued = await switchOrganization(session, result.orgId!);
  if (issued) {
    await setSessionCookie(issued.token, issued.expiresAt);
    const orgSession = await resolveSession(issued.token);
    if (orgSession && result.outcome === "joined") await auditInviteRedeemed(orgSession, result.inviteId!, result.role!, await currentRequestContext());
  }
  redirect("/projects");
}

export async function acceptInviteAction(_prev: FormState, formData: FormData): Promise<FormState> {
  if (!(formData instanceof FormData)) return { ok: false, message: REFUSED.invalid };
  const session = await getSession();
  if (!session) return { ok: false, message: "Sign in first." };
  return join(session, tokenOf(formData));
}

/** Embedded provider: create the invited account (invited email only), sign in, and join. */
export async function createAccountAndJoinAction(_prev: FormState, formData: FormData): Promise<FormState> {
  if (!(formData instanceof FormData)) return { ok: false, message: REFUSED.invalid };
  const token = tokenOf(formData);
  const parsed = createInvitedAccountSchema.safeParse({ displayName: formData.get("displayName") ?? "", password: formData.get("password") }, { error: plainIssueMessage });
  if (!parsed.success) return { ok: false, message: "Please correct the highlighted fields.", fieldErrors: z.flattenError(parsed.error).fieldErrors };
  const preview = await previewInvite(token);
  if (preview.status !== "valid") return { ok: false, message: REFUSED[preview.status] };
  const userId = await createInvitedAccount(token, parsed.data);
  if (!userId) return { ok: false, message: "An account with this email exists already: sign in to accept the invite." };
  const request = await currentRequestContext();
  const issued = await signInWithPassword({ email: preview.email!, password: parsed.data.password, ip: request.ip, userAgent: request.userAgent });
  const session = issued ? await resolveSession(issued.token) : null;
  // IDN-6: the new session's refresh token; join() then sets the org's session token.
  if (session && issued?.token !== undefined) await setIssuedSessionCookies(issued);
  if (!session) return { ok: false, message: "The account was created but signing in failed. Sign in to accept the invite." };
  return join(session, token);
}
