"use server";

import { revalidatePath } from "next/cache";
import { getSession } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { changeProjectGrant, createProjectLink, grantProjectAccess, revokeProjectGrant, revokeProjectLink } from "@/lib/grants";
import type { ActionResult } from "@/lib/actions/pipeline";
import type { FormState } from "@/lib/actions/form-state";

// Thin wrappers: the pipelines in lib/grants do authenticate -> Zod -> role -> project level -> withTenant -> audit.
const field = (formData: unknown, name: string) => (formData instanceof FormData ? formData.get(name) : null);
const pageOf = (formData: unknown) => `/projects/${String(field(formData, "projectId") ?? "")}/sharing`;

export interface LinkFormState extends FormState {
  /** The invite link, in this response only; never rendered by the page itself. */
  link?: string | null;
}

function toFormState(result: ActionResult<unknown>, success: string, formData: unknown, keep: string[] = []): FormState {
  if (result.ok) {
    revalidatePath(pageOf(formData));
    return { ok: true, message: success };
  }
  // The input stays in the form after a refusal.
  const values = Object.fromEntries(keep.map((k) => [k, String(field(formData, k) ?? "").slice(0, 320)]));
  return { ok: false, message: result.message, fieldErrors: result.fieldErrors, values };
}

export async function grantAccessAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const input = { projectId: field(formData, "projectId"), email: field(formData, "email"), role: field(formData, "role"), expiresInDays: field(formData, "expiresInDays") };
  const result = await grantProjectAccess(await getSession(), input, await currentRequestContext());
  return toFormState(result, "Access granted.", formData, ["email", "role", "expiresInDays"]);
}

export async function changeGrantAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const input = { projectId: field(formData, "projectId"), userId: field(formData, "userId"), role: field(formData, "role"), expiresInDays: field(formData, "expiresInDays") };
  return toFormState(await changeProjectGrant(await getSession(), input, await currentRequestContext()), "Access changed.", formData, ["role", "expiresInDays"]);
}

export async function revokeGrantAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const input = { projectId: field(formData, "projectId"), userId: field(formData, "userId") };
  return toFormState(await revokeProjectGrant(await getSession(), input, await currentRequestContext()), "Access revoked.", formData);
}

/** FormData is the only argument: a previous state (which held a link) is never read back. */
export async function createLinkAction(formData: FormData): Promise<LinkFormState> {
  if (!(formData instanceof FormData)) return { ok: false, message: "Please correct the highlighted fields." };
  const input = { projectId: formData.get("projectId"), role: formData.get("role"), expiresInDays: formData.get("expiresInDays"), maxUses: formData.get("maxUses") };
  const result = await createProjectLink(await getSession(), input, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message, fieldErrors: result.fieldErrors };
  revalidatePath(pageOf(formData));
  return { ok: true, message: "Link created. Copy it now: it is shown only once.", link: result.data.link };
}

export async function revokeLinkAction(_prev: FormState, formData: FormData): Promise<FormState> {
  return toFormState(await revokeProjectLink(await getSession(), { id: field(formData, "id") }, await currentRequestContext()), "Link revoked.", formData);
}
