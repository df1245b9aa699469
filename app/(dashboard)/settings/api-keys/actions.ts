"use server";

import { randomUUID } from "node:crypto";
import { revalidatePath } from "next/cache";
import { getSession } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { createApiKey, deleteApiKey, revokeApiKey, rollApiKey } from "@/lib/api-keys";
import type { ActionResult } from "@/lib/actions/pipeline";
import type { FormState } from "@/lib/actions/form-state";
import { formDataOnly, type ApiKeySecretFormState } from "@/lib/api-keys/form-state";

// Thin wrappers: the pipelines in lib/api-keys do authenticate -> Zod -> role (admin) -> withTenant -> audit;
// these only bind them to this request and revalidate the page on success.
const PAGE = "/settings/api-keys";

function failed(result: Extract<ActionResult<unknown>, { ok: false }>): FormState {
  return { ok: false, message: result.message, fieldErrors: result.fieldErrors };
}

function toFormState(result: ActionResult<unknown>, success: string): FormState {
  if (!result.ok) return failed(result);
  revalidatePath(PAGE);
  return { ok: true, message: success };
}

/**
 * KEY-1: the plaintext leaves the server once, in this response only; the page itself never renders it.
 * FormData is the only argument: a previous state (which held a secret) is refused, never read or logged.
 */
export async function createApiKeyAction(formData: FormData): Promise<ApiKeySecretFormState> {
  if (!(formData instanceof FormData)) return formDataOnly;
  const result = await createApiKey(
    await getSession(),
    {
      name: formData.get("name"),
      projectId: formData.get("projectId"),
      permissions: formData.get("permissions"),
      expiresAt: formData.get("expiresAt"),
      ipAllowlist: formData.get("ipAllowlist"),
    },
    await currentRequestContext(),
  );
  if (!result.ok) {
    // A refusal (e.g. BIL-1's plan limit, or a field error) keeps what was typed; `attempt` makes each answer distinct.
    const text = (field: string) => String(formData.get(field) ?? "").slice(0, 2000);
    const values = { name: text("name"), projectId: text("projectId"), permissions: text("permissions"), expiresAt: text("expiresAt"), ipAllowlist: text("ipAllowlist"), attempt: randomUUID() };
    return { ...failed(result), values };
  }
  revalidatePath(PAGE);
  const { name, prefix, plaintext } = result.data;
  return { ok: true, message: "API key created.", secret: { name, prefix, plaintext } };
}

/** KEY-1 / KEY-2: like create, the new secret goes to the browser once and FormData is the only argument. */
export async function rollApiKeyAction(formData: FormData): Promise<ApiKeySecretFormState> {
  if (!(formData instanceof FormData)) return formDataOnly;
  const result = await rollApiKey(
    await getSession(),
    { id: formData.get("id"), graceSeconds: formData.get("graceSeconds") },
    await currentRequestContext(),
  );
  if (!result.ok) return failed(result);
  revalidatePath(PAGE);
  const { name, prefix, plaintext } = result.data;
  return { ok: true, message: "Key rolled.", secret: { name, prefix, plaintext } };
}

export async function revokeApiKeyAction(_prev: FormState, formData: FormData): Promise<FormState> {
  return toFormState(await revokeApiKey(await getSession(), { id: formData.get("id") }, await currentRequestContext()), "Key revoked.");
}

export async function deleteApiKeyAction(_prev: FormState, formData: FormData): Promise<FormState> {
  return toFormState(await deleteApiKey(await getSession(), { id: formData.get("id") }, await currentRequestContext()), "Key deleted.");
}
