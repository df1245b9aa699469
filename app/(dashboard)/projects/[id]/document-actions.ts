"use server";

import { revalidatePath } from "next/cache";
import { getSession } from "@/lib/auth/current";
import { createDownloadUrl, importDocumentFromUrl, removeDocument, rescanDocument } from "@/lib/documents";
import { currentRequestContext } from "@/lib/http/request-context";
import { createAppRateLimiters } from "@/lib/ratelimit";
import type { FormState } from "@/lib/actions/form-state";

const limiters = createAppRateLimiters();

/** The import form's state: the URL as typed comes back with a refusal, so the field keeps it. */
export interface ImportFormState extends FormState {
  url?: string;
}

// Thin wrappers around lib/documents (pipeline: session -> Zod -> role -> withTenant -> audit).
/** A download's state: the short-lived signed URL (FILE-3), which the page then opens (an attachment: it stays put). */
export interface DownloadFormState extends FormState {
  url?: string;
}

export async function downloadDocumentAction(_prev: DownloadFormState, formData: FormData): Promise<DownloadFormState> {
  if (!(formData instanceof FormData)) return { ok: false, message: "Please correct the highlighted fields." };
  const result = await createDownloadUrl(await getSession(), { id: formData.get("id") }, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message };
  return { ok: true, message: "Your download is starting.", url: result.data.url };
}

export async function deleteDocumentAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await removeDocument(await getSession(), { id: formData.get("id") }, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message };
  revalidatePath("/projects/[id]", "page");
  return { ok: true, message: "Document deleted." };
}

/**
 * SSRF-1: the dashboard's URL import. RL-1: the `import` class per user and per org, before the URL is fetched (each
 * import makes the server fetch a remote URL). The page refreshes itself once the state says ok (the new document
 * is listed pending).
 */
export async function importDocumentAction(_prev: ImportFormState, formData: FormData): Promise<ImportFormState> {
  if (!(formData instanceof FormData)) return { ok: false, message: "Please correct the highlighted fields." };
  const url = String(formData.get("url") ?? "").slice(0, 4096);
  const session = await getSession();
  if (session?.orgId) {
    const decisions = await Promise.all([limiters.import.limit(`user:${session.userId}`), limiters.import.limit(`org:${session.orgId}`)]);
    const blocked = decisions.find((d) => !d.success);
    if (blocked) {
      const seconds = Math.max(1, Math.ceil((blocked.reset - Date.now()) / 1000));
      return { ok: false, message: `Too many imports. Try again in ${seconds} seconds.`, url };
    }
  }
  const result = await importDocumentFromUrl(session, { projectId: formData.get("projectId"), url }, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message, fieldErrors: result.fieldErrors, url };
  const { document, duplicate } = result.data;
  return {
    ok: true,
    message: duplicate ? `Already stored: “${document.name}” has the same content.` : `Imported “${document.name}”; waiting for its virus scan.`,
  };
}

/** FILE-2: admins ask for a new scan of a document still pending (no scanner was configured then) or whose scan failed. */
export async function rescanDocumentAction(_prev: FormState, formData: FormData): Promise<FormState> {
  if (!(formData instanceof FormData)) return { ok: false, message: "Please correct the highlighted fields." };
  const result = await rescanDocument(await getSession(), { id: formData.get("id") }, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message };
  return { ok: true, message: "A new virus scan was requested." };
}
