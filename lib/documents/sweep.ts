import "server-only";
import { defineSchedule, type ScheduleResult } from "@/lib/jobs";
import { documentScanner } from "./services";

/** How many documents one sweep re-enqueues at most; the rest wait for the next run. */
export const SCAN_SWEEP_BATCH = 500;

/**
 * FILE-2: the scheduled sweep of documents the scanner never decided. A document stays pending_scan when its scan
 * job ran with no scanner configured, and scan_failed when its job died after its last attempt (the scanner was down
 * for longer than the retries); its job row may also be gone. Every 10 minutes, while a scanner is configured, each
 * such document with no live (pending or running) scan job gets its own scan job (idempotency key `scan:<id>`) back
 * as a fresh pending job, or a new one (private.sweep_unscanned_documents, executable by job_runner only and only
 * under this task's live lease). The database keeps one live scan job per document at most, so a document is never
 * scanned twice at once, whoever enqueued the other job.
 */
export const documentScanSweep = defineSchedule({
  name: "documents.scan-sweep",
  everyMs: 10 * 60_000,
  leaseMs: 5 * 60_000,
  async run(ctx): Promise<ScheduleResult> {
    // With no scanner the jobs would only complete again leaving the documents pending: nothing to gain.
    if (!documentScanner()) return { skipped: "no scanner configured", enqueued: 0, requeued: 0 };
    const [row] = await ctx.withRunner((tx) =>
      tx.query<{ enqueued: number; requeued: number; skipped: number }>("select enqueued, requeued, skipped from private.sweep_unscanned_documents($1, $2)", [
        ctx.leaseToken,
        SCAN_SWEEP_BATCH,
      ]),
    );
    return { enqueued: row?.enqueued ?? 0, requeued: row?.requeued ?? 0, alreadyQueued: row?.skipped ?? 0 };
  },
});
