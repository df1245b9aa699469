"use client";

import { useActionState, useEffect, useState } from "react";
import { useRouter } from "next/navigation";
import { deleteDocumentAction, downloadDocumentAction, rescanDocumentAction, type DownloadFormState } from "@/app/(dashboard)/projects/[id]/document-actions";
import { initialFormState } from "@/lib/actions/form-state";
import { ConfirmDeleteForm, FormMessage, SubmitButton } from "@/components/ui/form";
import { ImportForm } from "./import-form";

export interface DocumentItem {
  id: string;
  name: string;
  status: "pending_scan" | "clean" | "infected" | "rejected" | "scan_failed";
  sizeBytes: number;
}

// FILE-2: every state says whether the file can be downloaded; only clean ones can.
const STATUS: Record<DocumentItem["status"], { label: string; className: string; detail: string | null }> = {
  pending_scan: { label: "Pending scan", className: "bg-amber-100 text-amber-900", detail: "Waiting for its virus scan; it cannot be downloaded until the scan passes." },
  clean: { label: "Clean", className: "bg-emerald-100 text-emerald-800", detail: null },
  infected: { label: "Infected (blocked)", className: "bg-red-100 text-red-800", detail: "The virus scanner found malware: the file was deleted and is never served." },
  rejected: { label: "Rejected", className: "bg-red-100 text-red-800", detail: "The file was refused and is never served." },
  scan_failed: { label: "Scan failed (blocked)", className: "bg-red-100 text-red-800", detail: "The virus scan could not complete; it is retried. Until a scan passes, the file is not served." },
};

/** How often the page reloads its list while a document waits for a scan that a configured scanner will make. */
const PENDING_REFRESH_MS = 2_000;

interface Upload {
  key: string;
  name: string;
  loaded: number;
  total: number;
  message?: string;
  ok?: boolean;
}

/** Streams one file to /api/documents/upload with XMLHttpRequest, whose upload events drive a real progress bar. */
function send(projectId: string, file: File, onProgress: (loaded: number) => void): Promise<{ ok: boolean; message: string }> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/documents/upload?projectId=${encodeURIComponent(projectId)}`);
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.setRequestHeader("X-File-Name", encodeURIComponent(file.name));
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      let body: { detail?: string; duplicate?: boolean } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        // not JSON: the status says enough
      }
      if (xhr.status === 200) resolve({ ok: true, message: "Already stored: this is a duplicate of an existing document." });
      else if (xhr.status === 201) resolve({ ok: true, message: "Uploaded; waiting for its virus scan." });
      else resolve({ ok: false, message: body.detail ?? `Upload failed (${xhr.status}).` });
    };
    xhr.onerror = () => resolve({ ok: false, message: "The upload was interrupted." });
    xhr.send(file);
  });
}

function DocumentRow({ doc, canDelete, canRescan }: { doc: DocumentItem; canDelete: boolean; canRescan: boolean }) {
  const router = useRouter();
  const [rescanState, rescan] = useActionState(rescanDocumentAction, initialFormState);
  useEffect(() => {
    if (rescanState.ok) router.refresh();
  }, [rescanState, router]);
  const [downloadState, download] = useActionState(downloadDocumentAction, initialFormState as DownloadFormState);
  useEffect(() => {
    // FILE-3: the signed link answers with Content-Disposition: attachment, so the page stays where it is.
    if (downloadState.ok && downloadState.url) window.location.assign(downloadState.url);
  }, [downloadState]);
  const [deleteState, remove] = useActionState(deleteDocumentAction, initialFormState);
  const status = STATUS[doc.status];
  return (
    <li className="flex flex-col gap-1 py-2" data-testid="document-row">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <span className="min-w-0 basis-full break-words sm:flex-1 sm:basis-0" title={doc.name}>
          {doc.name}
        </span>
        <span className={`rounded px-2 py-0.5 text-xs ${status.className}`}>{status.label}</span>
        <span className="text-xs text-slate-500">{doc.sizeBytes.toLocaleString("en-GB")} bytes</span>
        {doc.status === "clean" ? (
          <form action={download}>
            <input type="hidden" name="id" value={doc.id} />
            <SubmitButton variant="secondary" pendingText="Preparing…">
              Download
            </SubmitButton>
          </form>
        ) : null}
        {canRescan && (doc.status === "pending_scan" || doc.status === "scan_failed") ? (
          <form action={rescan}>
            <input type="hidden" name="id" value={doc.id} />
            <SubmitButton variant="secondary" pendingText="Requesting…">
              Scan again
            </SubmitButton>
          </form>
        ) : null}
        {canDelete ? (
          <ConfirmDeleteForm action={remove} id={doc.id} name={doc.name} />
        ) : null}
      </div>
      {status.detail ? <p className="text-xs text-slate-600">{status.detail}</p> : null}
      <FormMessage state={downloadState} />
      <FormMessage state={rescanState} />
      <FormMessage state={deleteState} />
    </li>
  );
}

export function DocumentsPanel({
  projectId,
  documents,
  canDelete,
  scannerNotice,
  canImport = true,
}: {
  projectId: string;
  documents: DocumentItem[];
  canDelete: boolean;
  /** OPS-4: the url_import flag reaches this caller (hidden otherwise). */
  canImport?: boolean;
  /** Set when no scanner is configured: why documents stay pending. */
  scannerNotice: string | null;
}) {
  const router = useRouter();
  const [uploads, setUploads] = useState<Upload[]>([]);
  // While a configured scanner still has documents to decide, the list reloads itself until none is pending.
  const waiting = scannerNotice === null && documents.some((d) => d.status === "pending_scan");
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") router.refresh();
    }, PENDING_REFRESH_MS);
    return () => clearInterval(timer);
  }, [waiting, router]);

  async function onFiles(files: FileList | null) {
    for (const file of Array.from(files ?? [])) {
      const key = crypto.randomUUID();
      setUploads((u) => [...u, { key, name: file.name, loaded: 0, total: file.size }]);
      const update = (patch: Partial<Upload>) => setUploads((u) => u.map((x) => (x.key === key ? { ...x, ...patch } : x)));
      const result = await send(projectId, file, (loaded) => update({ loaded }));
      update({ loaded: file.size, ok: result.ok, message: result.message });
    }
    router.refresh();
  }

  return (
    <section className="flex flex-col gap-3">
      <h2 className="text-lg font-semibold">Documents</h2>
      {scannerNotice ? (
        <p role="note" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="scanner-off">
          {scannerNotice}
        </p>
      ) : null}
      <label className="flex flex-col gap-1 text-sm">
        <span>Upload files (PDF, PNG, JPEG, WebP, text, CSV, DOCX, XLSX). Each is virus-scanned before it can be downloaded.</span>
        <input type="file" multiple onChange={(e) => void onFiles(e.target.files)} />
      </label>
      {canImport ? <ImportForm projectId={projectId} /> : null}
      {uploads.length > 0 ? (
        <ul className="flex flex-col gap-2" aria-label="Uploads">
          {uploads.map((u) => (
            <li key={u.key} className="text-sm">
              <div className="flex justify-between">
                <span className="min-w-0 break-words">{u.name}</span>
                <span>{u.total ? Math.round((u.loaded / u.total) * 100) : 100}%</span>
              </div>
              <progress className="w-full" max={u.total || 1} value={u.loaded} />
              {u.message ? <p className={u.ok ? "text-emerald-700" : "text-red-700"} role={u.ok ? "status" : "alert"}>{u.message}</p> : null}
            </li>
          ))}
        </ul>
      ) : null}
      {documents.length === 0 ? (
        <p className="text-sm text-slate-600">No documents yet.</p>
      ) : (
        <ul className="divide-y divide-slate-200">
          {documents.map((d) => (
            <DocumentRow key={d.id} doc={d} canDelete={canDelete} canRescan={canDelete && scannerNotice === null} />
          ))}
        </ul>
      )}
    </section>
  );
}
