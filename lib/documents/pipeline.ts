import "server-only";
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { Queryable } from "@/lib/db";
import { withAnonymous } from "@/lib/db";
import { env } from "@/lib/env";
import { AppError, NotFoundError, ValidationError } from "@/lib/errors";
import {
  downloadHeaders,
  formatBytes,
  receiveUpload,
  signDownloadToken,
  storageKey,
  TooLargeError,
  verifyDownloadToken,
  type ByteSource,
  type DownloadGrant,
  type ReceivedFile,
} from "@/lib/files";
import { enqueue } from "@/lib/jobs";
import { fetchPublicUrl, OutboundRefusedError, urlImportSettings } from "@/lib/http/outbound";
import { importBody, UPLOAD_MEDIA_TYPES } from "@/lib/api/schemas";
import type { z } from "zod";
import { documentScanJob } from "./scan";
import { documentStorage } from "./services";
import { isEnabled } from "@/lib/flags";
import { DOCUMENT_COLUMNS, getDocument, type DocumentRow } from "./store";
import { storageQuota } from "@/lib/billing/limits";

/**
 * The documents pipeline (FILE-1..4), in two phases so that no transaction is held open while bytes arrive:
 *   receiveDocument   outside any transaction: the bytes stream into quarantine with every check (lib/files)
 *   recordDocument    in the caller's tenant transaction: dedup under RLS, the quota, the pending_scan row, its scan
 *                     job and the audit entry, committed together
 *   settleDocument    after it: the quarantine object is deleted unless a committed row keeps it
 */

/** An upload received into quarantine, not yet recorded. */
export interface PreparedDocument {
  id: string;
  orgId: string;
  file: ReceivedFile;
  origin: { source: "upload" } | { source: "url"; url: string };
  /** Set by recordDocument when a new row refers to the quarantine object. */
  kept: boolean;
}

export type AuditFn = (entry: { action: string; targetType: string; targetId: string; changes?: Record<string, unknown> }) => Promise<void>;

export class DocumentNotAvailableError extends AppError {
  constructor(readonly status: DocumentRow["status"]) {
    super("conflict", `This document is not available for download: ${STATUS_TEXT[status]}.`);
    this.name = "DocumentNotAvailableError";
  }
}

const STATUS_TEXT: Record<DocumentRow["status"], string> = {
  pending_scan: "pending scan",
  clean: "clean",
  infected: "infected (blocked)",
  rejected: "rejected",
  scan_failed: "scan failed (blocked)",
};

/** FILE-1: MAX_UPLOAD_BYTES, refused before a byte is read when the declared length is larger. */
export function uploadLimitBytes(): number {
  return env.MAX_UPLOAD_BYTES;
}

function tooLarge(limit: number): TooLargeError {
  return new TooLargeError(limit);
}

/**
 * Phase 1: streams one upload into quarantine under a generated key (never its name). Throws FileNameError (422),
 * TooLargeError (413), UnsupportedFileTypeError (415); leaves nothing in quarantine when it throws.
 */
export async function receiveDocument(input: {
  orgId: string;
  source: ByteSource;
  declaredType: string;
  name: unknown;
  /** The declared length (Content-Length), when known: a larger one is refused before reading. */
  sizeHint?: number | null;
  origin?: PreparedDocument["origin"];
}): Promise<PreparedDocument> {
  const limit = uploadLimitBytes();
  if (input.sizeHint != null && input.sizeHint > limit) throw tooLarge(limit);
  const id = randomUUID();
  const file = await receiveUpload({
    source: input.source,
    declaredType: input.declaredType,
    name: input.name,
    maxBytes: limit,
    storage: documentStorage(),
    // OPS-4: with the quarantine flag off the bytes land in the served area at once; the document is still
    // pending_scan there, and only a clean one is ever served (private.downloadable_document).
    key: storageKey(isEnabled("quarantine") ? "quarantine" : "files", input.orgId, id),
  });
  // FILE-1: a body shorter than its declared length (a cut connection, or a proxy that stopped buffering) is not the
  // file the client sent: nothing is kept.
  if (input.sizeHint != null && file.bytes !== input.sizeHint) {
    await documentStorage().delete(file.key);
    throw new AppError("invalid_input", `The upload ended after ${file.bytes} of its declared ${input.sizeHint} bytes; nothing was stored.`);
  }
  return { id, orgId: input.orgId, file, origin: input.origin ?? { source: "upload" }, kept: false };
}

/**
 * SSRF-1 then FILE-1..4: fetches the URL through the SSRF-safe client (every hop's addresses checked, the size cap
 * and the type allow-list enforced while streaming) and streams the body into quarantine like an upload. Refusals:
 * too_large -> 413, content_type -> 415, every other -> 422 with the client's safe message (never an address).
 */
export { importBody };

export async function importDocument(input: { orgId: string; role: string | null } & z.output<typeof importBody>): Promise<PreparedDocument> {
  // OPS-4: the url_import flag's rollout (an org outside it, or a member while admins go first): not found, and
  // nothing is fetched.
  if (!isEnabled("url_import", { orgId: input.orgId, role: input.role })) throw new AppError("not_found", "URL import is not available for this organisation.");
  const limit = uploadLimitBytes();
  try {
    const fetched = await fetchPublicUrl(input.url, { ...urlImportSettings(), allowedContentTypes: UPLOAD_MEDIA_TYPES, maxBytes: limit });
    const name = input.name ?? decodeURIComponent(new URL(fetched.url).pathname.split("/").pop() ?? "");
    return await receiveDocument({
      orgId: input.orgId,
      source: fetched.body,
      declaredType: fetched.contentType,
      name,
      origin: { source: "url", url: new URL(input.url).toString() },
    });
  } catch (error) {
    if (!(error instanceof OutboundRefusedError)) throw error;
    if (error.reason === "too_large") throw tooLarge(limit);
    if (error.reason === "content_type") throw new AppError("unsupported_media_type", error.message);
    throw new ValidationError({ "body.url": [error.message] }, error.message);
  }
}

/**
 * Phase 2, in the caller's tenant transaction (TEN-2). FILE-4: a document of the org (as RLS shows it) with the same
 * content hash is the answer, marked duplicate. Otherwise the quota is reserved under the org's lock, the row is
 * inserted pending_scan, its scan job is enqueued and `document.uploaded` (or `.imported`) is audited (AUD-3).
 */
export async function recordDocument(
  tx: Queryable,
  prepared: PreparedDocument,
  actor: { subject: string; audit: AuditFn },
  projectId: string,
): Promise<{ document: DocumentRow; duplicate: boolean }> {
  const [project] = await tx.query<{ id: string }>("select id from public.projects where id = $1", [projectId]);
  if (!project) throw new NotFoundError("project", projectId);
  const [existing] = await tx.query<DocumentRow>(`select ${DOCUMENT_COLUMNS} from public.documents where content_hash = $1`, [prepared.file.sha256]);
  if (existing) return { document: existing, duplicate: true };
  // BIL-1: the org's plan decides its quota (storage_bytes), capped by the deployment's ORG_STORAGE_QUOTA_BYTES.
  const quota = await storageQuota(tx, env.ORG_STORAGE_QUOTA_BYTES);
  try {
    // Under the org's lock until commit: two concurrent uploads cannot both fit in the last free bytes.
    await tx.query("select private.reserve_document_bytes($1, $2)", [prepared.file.bytes, quota]);
  } catch (error) {
    if ((error as { code?: string }).code === "53400") {
      throw new AppError("payload_too_large", `The organisation's storage quota of ${formatBytes(quota)} would be exceeded by this file.`);
    }
    throw error;
  }
  const inserted = await tx.query<DocumentRow>(
    `insert into public.documents (org_id, project_id, name, mime_type, size_bytes, created_by, id, status, storage_key, content_hash, source, source_url)
     values ($1, $2, $3, $4, $5, $6, $7, 'pending_scan', $8, $9, $10, $11)
     on conflict (org_id, content_hash) do nothing
     returning ${DOCUMENT_COLUMNS}`,
    [
      prepared.orgId,
      projectId,
      prepared.file.name,
      prepared.file.mime,
      prepared.file.bytes,
      actor.subject,
      prepared.id,
      prepared.file.key,
      prepared.file.sha256,
      prepared.origin.source,
      prepared.origin.source === "url" ? prepared.origin.url : null,
    ],
  );
  const document = inserted[0];
  if (!document) {
    // The org holds this content in a project the caller cannot see (a project-scoped key), or a concurrent upload
    // of the same bytes committed first: one copy per org, and nothing about the other document is told.
    throw new AppError("conflict", "This organisation already stores a file with the same content.");
  }
  await enqueue(tx, documentScanJob, { orgId: prepared.orgId, payload: { documentId: document.id }, idempotencyKey: `scan:${document.id}` });
  await actor.audit({
    action: prepared.origin.source === "url" ? "document.imported" : "document.uploaded",
    targetType: "document",
    targetId: document.id,
    changes: {
      projectId,
      name: document.name,
      mimeType: document.mime_type,
      sizeBytes: Number(document.size_bytes),
      sha256: prepared.file.sha256,
      ...(prepared.origin.source === "url" ? { sourceHost: new URL(prepared.origin.url).host } : {}),
    },
  });
  prepared.kept = true;
  return { document, duplicate: false };
}

/**
 * FILE-2: the re-scan path for a document the scanner never decided (it was off or absent, so its scan job completed
 * leaving it pending_scan, or its job died after the last failed attempt): a fresh scan job, in the caller's
 * transaction. Only for pending_scan and scan_failed documents the caller can see (else not found / conflict).
 */
export async function requestRescan(tx: Queryable, orgId: string, documentId: string): Promise<void> {
  const document = await getDocument(tx, documentId);
  if (document.status !== "pending_scan" && document.status !== "scan_failed") {
    throw new AppError("conflict", `This document's scan has already decided: ${STATUS_TEXT[document.status]}.`);
  }
  // One live scan job per document (the database refuses a second: jobs_one_live_scan_per_document_idx): a scan
  // already waiting or running decides it.
  const [live] = await tx.query("select 1 from public.jobs where kind = $1 and state in ('pending', 'running') and payload ->> 'documentId' = $2", [
    documentScanJob.kind,
    documentId,
  ]);
  if (live) return;
  await enqueue(tx, documentScanJob, { orgId, payload: { documentId }, idempotencyKey: `scan:${documentId}:${randomUUID()}` });
}

/** After the transaction: the quarantine object goes unless a committed row refers to it. Nothing is left behind. */
export async function settleDocument(prepared: PreparedDocument, committed: boolean): Promise<void> {
  if (committed && prepared.kept) return;
  await documentStorage().delete(prepared.file.key);
}

/**
 * FILE-3: a short-lived download URL, only for a document RLS lets the caller read (else 404) and only when clean
 * (else 409 naming its state). Audited as `document.download_url_issued`.
 */
export async function issueDownloadUrl(
  tx: Queryable,
  documentId: string,
  actor: { orgId: string; audit: AuditFn },
  options: { now?: Date; ttlSeconds?: number } = {},
): Promise<{ url: string; token: string; expiresAt: Date }> {
  const document = await getDocument(tx, documentId);
  if (document.status !== "clean") throw new DocumentNotAvailableError(document.status);
  const { token, expiresAt } = await signDownloadToken({ documentId: document.id, orgId: actor.orgId }, options);
  await actor.audit({ action: "document.download_url_issued", targetType: "document", targetId: document.id, changes: { expiresAt: expiresAt.toISOString() } });
  const url = new URL("/api/documents/download", env.APP_URL);
  url.searchParams.set("token", token);
  return { url: url.toString(), token, expiresAt };
}

/**
 * FILE-3: the download route's work. The token is the credential (no cookie): verified first (MAC, expiry), then
 * the document is looked up for exactly the token's (document, org) and only while clean. Every refusal is the same
 * 404 (TEN-4): a token for another org's or a deleted, pending or infected document reads as "invalid or expired".
 */
export async function openDownload(
  token: string,
  options: { now?: Date; beforeLookup?: (grant: DownloadGrant) => Promise<void> } = {},
): Promise<{ headers: Record<string, string>; body: Readable }> {
  const grant = await verifyDownloadToken(token, {}, options);
  // RL-1: the per-org limit, keyed on the org of a token whose MAC was verified (never on what a caller claims).
  await options.beforeLookup?.(grant);
  const [row] = await withAnonymous((tx) =>
    tx.query<{ storage_key: string; mime_type: string; name: string }>("select storage_key, mime_type, name from private.downloadable_document($1::uuid, $2)", [
      grant.documentId,
      grant.orgId,
    ]),
  );
  if (!row) throw new AppError("not_found", "This download link is invalid or has expired.");
  const body = await documentStorage().get(row.storage_key);
  return { headers: downloadHeaders(row.mime_type, row.name), body };
}

/**
 * Deletes a document the caller may delete (RLS: its org, a key's project, a write key); returns the storage key
 * whose object the caller removes once the transaction committed (so a rolled-back delete leaves the file).
 * Audited as `document.deleted`.
 */
export async function deleteDocument(tx: Queryable, documentId: string, actor: { audit: AuditFn }): Promise<{ storageKey: string | null }> {
  const [deleted] = await tx.query<{ id: string; storage_key: string | null; name: string; status: string }>(
    "delete from public.documents where id = $1 returning id, storage_key, name, status",
    [documentId],
  );
  if (!deleted) throw new NotFoundError("document", documentId);
  await actor.audit({ action: "document.deleted", targetType: "document", targetId: deleted.id, changes: { name: deleted.name, status: deleted.status } });
  return { storageKey: deleted.storage_key };
}

/** Removes a deleted document's bytes (after its delete committed). */
export async function removeStoredObject(key: string | null): Promise<void> {
  if (key) await documentStorage().delete(key);
}
