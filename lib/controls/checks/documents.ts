import "server-only";
import { ownerDb, type Queryable } from "@/lib/db";
import { scannerCheck, type Scanner } from "@/lib/files";
import { documentScanner } from "@/lib/documents/services";
import { storageCheck, type StorageSettings } from "@/lib/health/storage";
import type { CheckResult } from "../live-checks";

/** How long a document may wait for its scan before the check fails (the sweep runs every 10 minutes). */
export const PENDING_SCAN_LIMIT_MINUTES = 60;

async function asOwner<T>(fn: (tx: Queryable) => Promise<T>, db?: Queryable): Promise<T> {
  return db ? fn(db) : (await ownerDb()).transaction(fn);
}

/**
 * FILE-2: no document waits for its scan (pending_scan, or scan_failed awaiting a retry) for more than an hour. With
 * a scanner configured that means the queue or the sweep is stuck: a failure. With none, waiting is what FILE-2
 * promises (never served): a warning that says how many wait.
 */
export async function checkPendingScans(options: { db?: Queryable; scanner?: Scanner | null } = {}): Promise<CheckResult> {
  const [row] = await asOwner(
    (tx) =>
      tx.query<{ waiting: number; oldest_minutes: number | null }>(
        `select count(*)::int as waiting, floor(extract(epoch from now() - min(created_at)) / 60)::int as oldest_minutes
           from public.documents
          where status in ('pending_scan', 'scan_failed') and created_at < now() - make_interval(mins => $1)`,
        [PENDING_SCAN_LIMIT_MINUTES],
      ),
    options.db,
  );
  const waiting = row?.waiting ?? 0;
  if (waiting === 0) return { status: "pass", detail: `No document has waited for its virus scan for more than ${PENDING_SCAN_LIMIT_MINUTES} minutes.` };
  const scanner = "scanner" in options ? options.scanner : documentScanner();
  const what = `${waiting} document(s) have waited for their virus scan for more than ${PENDING_SCAN_LIMIT_MINUTES} minutes (the oldest ${row?.oldest_minutes ?? "?"} minutes); they are not served`;
  if (!scanner) return { status: "warn", detail: `${what}: no virus scanner is configured.` };
  return { status: "fail", detail: `${what}, although a scanner is configured: the scan queue or the scan sweep is not keeping up.` };
}

/** lib/jobs: jobs in the dead-letter state, across orgs, as a count (org admins list and re-queue their own). */
export async function checkDeadJobs(db?: Queryable): Promise<CheckResult> {
  const kinds = await asOwner(
    (tx) => tx.query<{ kind: string; n: number }>("select kind, count(*)::int as n from public.jobs where state = 'dead' group by kind order by count(*) desc, kind limit 10"),
    db,
  );
  const total = kinds.reduce((sum, k) => sum + k.n, 0);
  if (total === 0) return { status: "pass", detail: "No job is in the dead-letter state." };
  return { status: "warn", detail: `${total} dead job(s) (${kinds.map((k) => `${k.kind}: ${k.n}`).join(", ")}): each failed its last attempt; org admins re-queue them.` };
}

/** FILE-2 / OBS-4: the configured virus scanner answers (its VERSION). Off is a warning: uploads then stay pending. */
export async function checkVirusScanner(scanner: Scanner | null = documentScanner()): Promise<CheckResult> {
  const result = await scannerCheck(scanner);
  if (result.status === "off") return { status: "warn", detail: result.detail };
  if (result.status === "ok") return { status: "pass", detail: result.detail };
  return { status: "fail", detail: "The configured virus scanner does not answer: uploads stay in quarantine until it does." };
}

/** FILE-3 / OBS-4: the configured file storage answers (S3: HeadBucket on the bucket; local: the directory is usable). */
export async function checkFileStorage(settings?: StorageSettings): Promise<CheckResult> {
  const result = await storageCheck(settings);
  return { status: result.status === "ok" ? "pass" : "fail", detail: `${result.backend === "s3" ? "S3-compatible storage" : "Local storage"}: ${result.detail}` };
}
