import "server-only";
import { z } from "zod";
import { appendAudit } from "@/lib/audit/writer";
import type { Queryable } from "@/lib/db";
import { scanFile, storageKey, StorageNotFoundError, type ScanVerdict } from "@/lib/files";
import { defineJob, PermanentJobError } from "@/lib/jobs";
import { documentScanner, documentStorage } from "./services";

/**
 * FILE-2: the scan job of one document, run by lib/jobs as the org's service principal (job_service: it reads and
 * updates only its org's documents, and only their scan columns). Idempotent (delivery is at least once):
 *   clean        promoted from quarantine/ to files/, status clean
 *   infected     the object deleted, status infected (never served)
 *   scan_failed  status scan_failed and the job throws, so the queue retries it with backoff; after its last
 *                attempt the job is dead (visible to admins) and the document stays scan_failed, never served
 *   scanner_off  the job completes and the document stays pending_scan (never served); once a scanner is
 *                configured, requestRescan (lib/documents/pipeline.ts) enqueues a fresh scan job for it; a job dead
 *                after its last failed attempt can also be re-queued by an admin (lib/jobs requeueDeadJob)
 * Each verdict is audited (`document.scan_verdict`, actor system) in the transaction that records it (AUD-3).
 */

export class ScanFailedError extends Error {
  constructor(reason: string) {
    super(`The scan did not complete: ${reason}`);
    this.name = "ScanFailedError";
  }
}

interface ScanTarget {
  id: string;
  status: string;
  storage_key: string | null;
}

async function recordVerdict(
  tx: Queryable,
  orgId: string,
  documentId: string,
  update: { status: string; storageKey: string | null; scanner: string | null; signature?: string | null; signatureVersion?: string | null; detail?: string | null },
): Promise<void> {
  await tx.query(
    `update public.documents
        set status = $2, storage_key = $3, scanner = $4, scan_signature = $5, scan_signature_version = $6, scan_detail = $7, scanned_at = now()
      where id = $1`,
    [documentId, update.status, update.storageKey, update.scanner, update.signature ?? null, update.signatureVersion ?? null, update.detail?.slice(0, 300) ?? null],
  );
  await appendAudit(tx, {
    orgId,
    actorType: "system",
    actorId: "service:jobs",
    action: "document.scan_verdict",
    targetType: "document",
    targetId: documentId,
    changes: { verdict: update.status, scanner: update.scanner, signature: update.signature ?? null, signatureVersion: update.signatureVersion ?? null },
  });
}

function verdictFields(verdict: ScanVerdict): { scanner: string | null; signatureVersion: string | null } {
  if (verdict.verdict === "scanner_off") return { scanner: null, signatureVersion: null };
  return { scanner: verdict.scanner, signatureVersion: "signatureVersion" in verdict ? verdict.signatureVersion : null };
}

export const documentScanJob = defineJob({
  kind: "documents.scan",
  payload: z.strictObject({ documentId: z.uuid() }),
  maxAttempts: 5,
  async run({ documentId }, ctx) {
    const orgId = ctx.job.orgId;
    const storage = documentStorage();
    const [doc] = await ctx.withOrg((tx) => tx.query<ScanTarget>("select id, status, storage_key from public.documents where id = $1", [documentId]));
    // Deleted since, or already decided: nothing to do (idempotent).
    if (!doc || doc.status === "clean" || doc.status === "infected" || doc.status === "rejected") return;
    const quarantined = storageKey("quarantine", orgId, documentId);
    const promoted = storageKey("files", orgId, documentId);
    // OPS-4: received while the quarantine flag was off, the file already lies in the served area and is scanned
    // there (still pending_scan, so not served until clean).
    const inPlace = doc.storage_key === promoted;
    if (!inPlace && doc.storage_key !== quarantined) throw new PermanentJobError("The document is not in quarantine.");
    if (!inPlace && !(await storage.exists(quarantined))) {
      // A previous attempt promoted the file and stopped before recording it: the promotion followed a clean verdict.
      if (await storage.exists(promoted)) {
        await ctx.withOrg((tx) => recordVerdict(tx, orgId, documentId, { status: "clean", storageKey: promoted, scanner: null, detail: "promoted by an earlier attempt" }));
        return;
      }
      throw new PermanentJobError("The quarantined file is missing.");
    }
    const scanned = inPlace ? promoted : quarantined;
    let verdict: ScanVerdict;
    try {
      verdict = await scanFile(await storage.get(scanned), documentScanner());
    } catch (error) {
      if (error instanceof StorageNotFoundError) throw new PermanentJobError("The quarantined file is missing.");
      verdict = { verdict: "scan_failed", scanner: documentScanner()?.name ?? "none", reason: (error as Error).message };
    }
    if (ctx.signal.aborted) throw new ScanFailedError("the worker stopped");
    switch (verdict.verdict) {
      case "clean":
        if (!inPlace) await storage.promote(quarantined, promoted);
        await ctx.withOrg((tx) => recordVerdict(tx, orgId, documentId, { status: "clean", storageKey: promoted, ...verdictFields(verdict) }));
        return;
      case "infected":
        await storage.delete(scanned);
        await ctx.withOrg((tx) =>
          recordVerdict(tx, orgId, documentId, { status: "infected", storageKey: null, ...verdictFields(verdict), signature: verdict.signature }),
        );
        return;
      case "scan_failed":
        // Fail closed: never clean; recorded, then retried by the queue.
        await ctx.withOrg((tx) => recordVerdict(tx, orgId, documentId, { status: "scan_failed", storageKey: scanned, scanner: verdict.scanner, detail: verdict.reason }));
        throw new ScanFailedError(verdict.reason);
      case "scanner_off":
        // Stays pending_scan (never served); nothing to record but nothing decided either.
        return;
    }
  },
});
