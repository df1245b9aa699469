"use server";

import { revalidatePath } from "next/cache";
import { getSession } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { deletePersonalCredential, setPersonalCredential } from "@/lib/credentials";
import type { FormState } from "@/lib/actions/form-state";

const PAGE = "/account/credentials";

/** ENC-5: a person's own tokens. Results never carry the secret back (see settings/integrations/actions.ts). */
export async function setPersonalCredentialAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const service = String(formData.get("service") ?? "");
  const result = await setPersonalCredential(await getSession(), { service, secret: formData.get("secret") }, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message, fieldErrors: result.fieldErrors, values: { service } };
  revalidatePath(PAGE);
  return { ok: true, message: result.data.replaced ? "Token replaced." : "Token saved." };
}

export async function deletePersonalCredentialAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await deletePersonalCredential(await getSession(), { service: formData.get("service") }, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message };
  revalidatePath(PAGE);
  return { ok: true, message: "Token deleted." };
}
