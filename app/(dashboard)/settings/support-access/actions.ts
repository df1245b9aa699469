"use server";

import { revalidatePath } from "next/cache";
import { getSession } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { grantSupportAccess, revokeSupportAccess } from "@/lib/support";
import type { FormState } from "@/lib/actions/form-state";
import { formatDateTime } from "@/lib/format/date";

// Thin wrappers: lib/support runs authenticate -> Zod -> owner role -> withTenant -> audit (TEN-8).
const PAGE = "/settings/support-access";
const field = (formData: unknown, name: string) => (formData instanceof FormData ? formData.get(name) : null);
const FIELDS = ["operatorId", "minutes", "level", "reason"] as const;

export async function grantSupportAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const input = Object.fromEntries(FIELDS.map((f) => [f, field(formData, f)]));
  const result = await grantSupportAccess(await getSession(), input, await currentRequestContext());
  if (!result.ok) {
    // The form keeps what was entered (nothing here is secret).
    const values = Object.fromEntries(FIELDS.map((f) => [f, typeof input[f] === "string" ? (input[f] as string) : ""]));
    return { ok: false, message: result.message, fieldErrors: result.fieldErrors, values };
  }
  revalidatePath(PAGE);
  return { ok: true, message: `Support access granted until ${formatDateTime(result.data.expiresAt, "?")}.` };
}

export async function revokeSupportAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await revokeSupportAccess(await getSession(), { id: field(formData, "id") }, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message };
  revalidatePath(PAGE);
  return { ok: true, message: "Support access revoked. The operator's next request is refused." };
}
