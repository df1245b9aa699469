"use server";

import { redirect } from "next/navigation";
import { revalidatePath } from "next/cache";
import { getSession } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { changeMemberRole, inviteMember, leaveOrganization, removeMember, revokeInvite } from "@/lib/members";
import { setBasePermission } from "@/lib/grants";
import type { ActionResult } from "@/lib/actions/pipeline";
import type { FormState } from "@/lib/actions/form-state";

// Thin wrappers: the pipelines in lib/members do authenticate -> Zod -> role -> withTenant -> audit.
const PAGE = "/settings/members";

export interface InviteFormState extends FormState {
  /** The invite link, in this response only (embedded provider); never rendered by the page itself. */
  link?: string | null;
}

// VAL-1: action ids are public; arguments that are not a form are bad input (the schemas refuse the nulls), never a 500.
const field = (formData: unknown, name: string) => (formData instanceof FormData ? formData.get(name) : null);

function toFormState(result: ActionResult<unknown>, success: string): FormState {
  if (!result.ok) return { ok: false, message: result.message, fieldErrors: result.fieldErrors };
  revalidatePath(PAGE);
  return { ok: true, message: success };
}

/** FormData is the only argument: a previous state (which held a link) is never read back. */
export async function inviteMemberAction(formData: FormData): Promise<InviteFormState> {
  if (!(formData instanceof FormData)) return { ok: false, message: "Please correct the highlighted fields." };
  const result = await inviteMember(await getSession(), { email: formData.get("email"), role: formData.get("role") }, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message, fieldErrors: result.fieldErrors };
  revalidatePath(PAGE);
  return {
    ok: true,
    message: result.data.link ? `Invite created for ${result.data.email}. Copy the link now: it is shown only once.` : `Clerk sent an invitation to ${result.data.email}.`,
    link: result.data.link,
  };
}

export async function revokeInviteAction(_prev: FormState, formData: FormData): Promise<FormState> {
  return toFormState(await revokeInvite(await getSession(), { id: field(formData, "id") }, await currentRequestContext()), "Invite revoked.");
}

export async function changeRoleAction(_prev: FormState, formData: FormData): Promise<FormState> {
  return toFormState(await changeMemberRole(await getSession(), { userId: field(formData, "userId"), role: field(formData, "role") }, await currentRequestContext()), "Role changed.");
}

export async function removeMemberAction(_prev: FormState, formData: FormData): Promise<FormState> {
  return toFormState(await removeMember(await getSession(), { userId: field(formData, "userId") }, await currentRequestContext()), "Member removed.");
}

export async function leaveOrganizationAction(_prev: FormState): Promise<FormState> {
  const result = await leaveOrganization(await getSession(), {}, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message };
  redirect("/projects");
}

/** TEN-7: the org's base permission for members on projects they hold no grant for (owners and admins). */
export async function setBasePermissionAction(_prev: FormState, formData: FormData): Promise<FormState> {
  return toFormState(await setBasePermission(await getSession(), { permission: field(formData, "permission") }, await currentRequestContext()), "Base permission saved.");
}
