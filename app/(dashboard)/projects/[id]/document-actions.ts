"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { getSession } from "@/lib/auth/current";
import { createDownloadUrl, removeDocument } from "@/lib/documents";
import { currentRequestContext } from "@/lib/http/request-context";
import type { FormState } from "@/lib/actions/form-state";

// Thin wrappers around lib/documents (pipeline: session -> Zod -> role -> withTenant -> audit).
export async function downloadDocumentAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await createDownloadUrl(await getSession(), { id: formData.get("id") }, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message };
  redirect(result.data.url);
}

export async function deleteDocumentAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await removeDocument(await getSession(), { id: formData.get("id") }, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message };
  revalidatePath("/projects/[id]", "page");
  return { ok: true, message: "Document deleted." };
}
