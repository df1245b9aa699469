import "server-only";
import { z } from "zod";
import { defineAction, hasRole, type ActionResult } from "@/lib/actions/pipeline";
import type { Session } from "@/lib/auth/claims";
import { AppError, NotFoundError, STATUS, ValidationError } from "@/lib/errors";
import type { ByteSource } from "@/lib/files";
import type { RequestContext } from "@/lib/http/request-context";
import {
  deleteDocument,
  importBody,
  importDocument,
  issueDownloadUrl,
  receiveDocument,
  recordDocument,
  removeStoredObject,
  requestRescan,
  settleDocument,
  type PreparedDocument,
} from "./pipeline";
import type { DocumentRow } from "./store";
import { assertProjectLevel } from "@/lib/grants/level";

/**
 * The documents pipeline for the dashboard (session principals), through the action pipeline (TEN-2/TEN-3, AUD-1):
 * the same phases as the partner API (lib/documents/pipeline.ts). The upload route that feeds `uploadDocument` a
 * request body as a stream is the dashboard step of issue 13.
 */

export { pageDocuments, getDocument, type DocumentRow } from "./store";
export { DocumentNotAvailableError } from "./pipeline";

const projectId = z.uuid({ error: "That project does not exist." });

const recordUpload = defineAction({
  name: "documents.upload",
  schema: z.object({ projectId, prepared: z.custom<PreparedDocument>((v) => typeof v === "object" && v !== null) }),
  minimumRole: "guest",
  // `prepared` is passed through as the same object: recordDocument marks it kept when its row refers to the file.
  run: async ({ input, session, tx, audit }) => {
    // TEN-7: a viewer reads the project but cannot add to it (403 here; RLS refuses the row too).
    await assertProjectLevel(tx, input.projectId, "write");
    return recordDocument(tx, input.prepared, { subject: session.userId, audit }, input.projectId);
  },
});

function refusal(error: AppError): Extract<ActionResult<never>, { ok: false }> {
  return {
    ok: false,
    code: error.code,
    status: STATUS[error.code],
    message: error.message,
    ...(error instanceof ValidationError ? { fieldErrors: error.errors } : {}),
  };
}

/**
 * FILE-1..4 for a signed-in member: the role is checked before a byte is read, the file streams into quarantine, then
 * the action records it (dedup, quota, pending_scan row, scan job, audit); the quarantine object is deleted unless
 * the committed row keeps it.
 */
export async function uploadDocument(
  session: Session | null,
  input: { projectId: string; source: ByteSource; declaredType: string; name: unknown; sizeHint?: number | null },
  request: RequestContext,
): Promise<ActionResult<{ document: DocumentRow; duplicate: boolean }>> {
  if (!session?.orgId) return refusal(new AppError("unauthenticated", "Sign in and choose an organisation first."));
  if (!hasRole(session, "guest")) return refusal(new AppError("forbidden", "You are not a member of this organisation."));
  if (!projectId.safeParse(input.projectId).success) return refusal(new AppError("not_found", "That project does not exist."));
  let prepared: PreparedDocument;
  try {
    prepared = await receiveDocument({ orgId: session.orgId, source: input.source, declaredType: input.declaredType, name: input.name, sizeHint: input.sizeHint });
  } catch (error) {
    if (error instanceof AppError) return refusal(error);
    throw error;
  }
  let result: ActionResult<{ document: DocumentRow; duplicate: boolean }> | undefined;
  try {
    result = await recordUpload(session, { projectId: input.projectId, prepared }, request);
    return result;
  } finally {
    await settleDocument(prepared, result?.ok === true);
  }
}

/** FILE-3: a download URL for a clean document the member can read (not visible: not found; not clean: conflict). */
export const createDownloadUrl = defineAction({
  name: "documents.download_url",
  schema: z.object({ id: z.uuid({ error: "That document does not exist." }) }),
  minimumRole: "guest",
  run: ({ input, session, tx, audit }) => issueDownloadUrl(tx, input.id, { orgId: session.orgId, audit }),
});

/** FILE-2: admins ask for a new scan of a document still pending (no scanner was configured) or failed. */
export const rescanDocument = defineAction({
  name: "documents.rescan",
  schema: z.object({ id: z.uuid({ error: "That document does not exist." }) }),
  minimumRole: "admin",
  run: async ({ input, session, tx, audit }) => {
    await requestRescan(tx, session.orgId, input.id);
    await audit({ action: "document.rescan_requested", targetType: "document", targetId: input.id, changes: {} });
    return { id: input.id };
  },
});

const removeRow = defineAction({
  name: "documents.delete",
  schema: z.object({ id: z.uuid({ error: "That document does not exist." }) }),
  minimumRole: "admin",
  run: ({ input, tx, audit }) => deleteDocument(tx, input.id, { audit }),
});

/** Admins and owners delete a document; its stored file is removed once the delete committed. */
export async function removeDocument(session: Session | null, input: unknown, request: RequestContext): Promise<ActionResult<{ id: string }>> {
  const result = await removeRow(session, input, request);
  if (!result.ok) return result;
  await removeStoredObject(result.data.storageKey);
  return { ok: true, data: { id: (input as { id: string }).id } };
}

// The project must exist for the caller before the server fetches anything for it (another org's id: not found, and
// the probe is recorded, TEN-4).
const findImportProject = defineAction({
  name: "documents.import_project",
  schema: z.object({ projectId }),
  minimumRole: "guest",
  run: async ({ input, tx }) => {
    const [row] = await tx.query<{ id: string }>("select id from public.projects where id = $1", [input.projectId]);
    if (!row) throw new NotFoundError("project", input.projectId);
    return row;
  },
});

const recordImport = defineAction({
  name: "documents.import",
  schema: z.object({ projectId, prepared: z.custom<PreparedDocument>((v) => typeof v === "object" && v !== null) }),
  minimumRole: "guest",
  run: async ({ input, session, tx, audit }) => {
    await assertProjectLevel(tx, input.projectId, "write");
    return recordDocument(tx, input.prepared, { subject: session.userId, audit }, input.projectId);
  },
});

/**
 * SSRF-1 then FILE-1..4 for a signed-in member: the dashboard's URL import, through the same importDocument the
 * partner API's imports route uses (every hop's addresses checked, size, time and type capped), then recorded like
 * an upload (`document.imported`). A refused URL answers with its safe reason as the `url` field's error.
 */
export async function importDocumentFromUrl(
  session: Session | null,
  input: { projectId: unknown; url: unknown },
  request: RequestContext,
): Promise<ActionResult<{ document: DocumentRow; duplicate: boolean }>> {
  if (!session?.orgId) return refusal(new AppError("unauthenticated", "Sign in and choose an organisation first."));
  if (!hasRole(session, "guest")) return refusal(new AppError("forbidden", "You are not a member of this organisation."));
  if (!projectId.safeParse(input.projectId).success) return refusal(new AppError("not_found", "That project does not exist."));
  const body = importBody.safeParse({ url: typeof input.url === "string" ? input.url.trim() : input.url });
  if (!body.success) return refusal(new ValidationError({ url: ["Enter the http or https URL of the file to import."] }, "Please correct the highlighted fields."));
  const project = await findImportProject(session, { projectId: input.projectId }, request);
  if (!project.ok) return project;
  let prepared: PreparedDocument;
  try {
    prepared = await importDocument({ orgId: session.orgId, role: session.orgRole, ...body.data });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    // The URL is the form's one field: every refusal of it (SSRF-1, FILE-1) is shown next to it.
    return { ...refusal(error), fieldErrors: { url: [error.message] } };
  }
  let result: ActionResult<{ document: DocumentRow; duplicate: boolean }> | undefined;
  try {
    result = await recordImport(session, { projectId: input.projectId, prepared }, request);
    return result;
  } finally {
    await settleDocument(prepared, result?.ok === true);
  }
}
