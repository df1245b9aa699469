"use server";

import { revalidatePath } from "next/cache";
import { getSession } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { deleteIntegrationCredential, setIntegrationCredential, testIntegrationCredential } from "@/lib/credentials";
import type { FormState } from "@/lib/actions/form-state";

const PAGE = "/settings/integrations";

/**
 * ENC-1: org integration credentials (owners and admins). A result never carries the secret back, not even on an
 * error: the form keeps only the service (`values`), and the secret field is left empty to be typed again.
 */
export async function setIntegrationAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const service = String(formData.get("service") ?? "");
  const result = await setIntegrationCredential(await getSession(), { service, secret: formData.get("secret") }, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message, fieldErrors: result.fieldErrors, values: { service } };
  revalidatePath(PAGE);
  return { ok: true, message: result.data.replaced ? "Credential replaced." : "Credential saved." };
}

export async function testIntegrationAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await testIntegrationCredential(await getSession(), { service: formData.get("service") }, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message };
  revalidatePath(PAGE);
  return { ok: result.data.ok, message: result.data.message };
}

export async function deleteIntegrationAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await deleteIntegrationCredential(await getSession(), { service: formData.get("service") }, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message };
  revalidatePath(PAGE);
  return { ok: true, message: "Credential deleted." };
}
