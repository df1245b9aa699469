import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { closeDb, ownerDb } from "@/lib/db";
import { createProject } from "@/lib/projects";
import { clamdScanner, LocalStorage } from "@/lib/files";
import { registerSchedules, runDueSchedules, startWorker, type StopWorker } from "@/lib/jobs";
import { documentScanJob } from "@/lib/documents/scan";
import { documentScanSweep } from "@/lib/documents/sweep";
import { rescanDocument } from "@/lib/documents";
import { useDocumentServices } from "@/lib/documents/services";
import { startClamd, type Clamd } from "../helpers/clamd";
import { orgWithMembers, request } from "../helpers/tenants";
import { callApi, newKey } from "../helpers/api";
import { waitFor } from "./jobs-helpers";

// FILE-2: the scheduled scan sweep (lib/documents/sweep.ts) with the real schedule table, the real queue and worker,
// a real clamd and real local storage.

let root: string;
let clamd: Clamd;
let stopWorker: StopWorker | undefined;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tg-sweep-"));
  clamd = await startClamd();
  useDocumentServices({ storage: new LocalStorage(root), scanner: clamdScanner({ host: clamd.host, port: clamd.port }, { timeoutMs: 10_000, maxBytes: clamd.streamMaxBytes }) });
});

afterEach(async () => {
  await stopWorker?.();
  stopWorker = undefined;
});

afterAll(async () => {
  await clamd?.stop();
  await rm(root, { recursive: true, force: true });
  await closeDb();
});

async function tenant(name: string) {
  const org = await orgWithMembers(name);
  const project = await createProject(org.admin, { name: "Files" }, request());
  if (!project.ok) throw new Error("setup");
  const key = await newKey(org.admin);
  return { org, projectId: project.data.id, key: key.plaintext, orgId: org.org.id };
}

async function upload(t: { key: string; projectId: string }, text: string): Promise<string> {
  const res = await callApi("post", `/api/v1/projects/${t.projectId}/documents`, {
    key: t.key,
    rawBody: new Uint8Array(Buffer.from(`${text} ${randomBytes(6).toString("hex")}\n`)),
    contentType: "text/plain",
    headers: { "x-file-name": "note.txt" },
  });
  expect(res.status).toBe(201);
  return res.json!.id as string;
}

const status = async (id: string) => (await (await ownerDb()).query<{ status: string }>("select status from public.documents where id = $1", [id]))[0]?.status;

interface ScanJob {
  id: string;
  state: string;
  idempotency_key: string;
}
const scanJobs = async (id: string) =>
  (await ownerDb()).query<ScanJob>("select id, state, idempotency_key from public.jobs where kind = 'documents.scan' and payload ->> 'documentId' = $1 order by created_at", [id]);

/** Runs the sweep as the workers do: its schedule made due (the owner moves the clock), claimed, run under its lease. */
async function sweep() {
  await registerSchedules([documentScanSweep]);
  await (await ownerDb()).query("update private.scheduled_tasks set next_run_at = now() - interval '1 second', locked_until = null, lease_token = null where name = $1", [
    documentScanSweep.name,
  ]);
  const runs = await runDueSchedules({ schedules: [documentScanSweep] });
  expect(runs).toMatchObject([{ name: "documents.scan-sweep", outcome: "succeeded" }]);
  return runs[0]!.result as { enqueued: number; requeued: number };
}

describe("the scan sweep (FILE-2)", () => {
  it("a document whose scan job was deleted, or is dead, is picked up by the sweep and ends scanned", async () => {
    const t = await tenant("Sweep");
    const gone = await upload(t, "job deleted");
    const dead = await upload(t, "job dead");
    const db = await ownerDb();
    // No scanner ran: one document's job row is gone, the other's died after its last attempt (as after a long outage).
    await db.query("delete from public.jobs where kind = 'documents.scan' and payload ->> 'documentId' = $1", [gone]);
    await db.query(
      "update public.jobs set state = 'dead', attempts = max_attempts, finished_at = now(), last_error = 'ScanFailedError: down' where kind = 'documents.scan' and payload ->> 'documentId' = $1",
      [dead],
    );
    await db.query("update public.documents set status = 'scan_failed' where id = $1", [dead]);
    expect(await scanJobs(gone)).toEqual([]);

    const result = await sweep();
    expect(result.enqueued).toBeGreaterThanOrEqual(1);
    expect(result.requeued).toBeGreaterThanOrEqual(1);
    // The document's own scan job, by its idempotency key: a fresh pending one, and the dead one back to pending.
    expect(await scanJobs(gone)).toMatchObject([{ state: "pending", idempotency_key: `scan:${gone}` }]);
    expect(await scanJobs(dead)).toMatchObject([{ state: "pending", idempotency_key: `scan:${dead}` }]);

    stopWorker = startWorker({ handlers: [documentScanJob], pollIntervalMs: 25, stopGraceMs: 2_000 });
    await waitFor(async () => (await status(gone)) === "clean" && (await status(dead)) === "clean");
  });

  it("a document with a live scan job is not enqueued twice, by the sweep or a re-scan; the database refuses a second live job", async () => {
    const t = await tenant("SweepLive");
    const waiting = await upload(t, "job still pending");
    const [job] = await scanJobs(waiting);
    expect(job).toMatchObject({ state: "pending" });
    await sweep();
    expect(await scanJobs(waiting)).toEqual([job]);
    // An admin's re-scan while the job waits adds nothing either.
    expect(await rescanDocument(t.org.admin, { id: waiting }, request())).toMatchObject({ ok: true });
    expect(await scanJobs(waiting)).toEqual([job]);
    // A live job under another key (an admin's re-scan after the first job completed with no scanner) counts too:
    // the sweep does not bring the document's own job back beside it.
    const rescanned = await upload(t, "re-scan pending");
    const [own] = await scanJobs(rescanned);
    await (await ownerDb()).query("update public.jobs set state = 'succeeded', attempts = 1, finished_at = now() where id = $1", [own!.id]);
    expect(await rescanDocument(t.org.admin, { id: rescanned }, request())).toMatchObject({ ok: true });
    const before = await scanJobs(rescanned);
    expect(before.map((j) => j.state)).toEqual(["succeeded", "pending"]);
    await sweep();
    expect(await scanJobs(rescanned)).toEqual(before);
    // A running job is live too.
    await (await ownerDb()).query("update public.jobs set state = 'running', lease_token = gen_random_uuid(), locked_until = now() + interval '1 minute' where id = $1", [job!.id]);
    await sweep();
    expect(await scanJobs(waiting)).toMatchObject([{ id: job!.id, state: "running" }]);
    // Nor can anyone else: a second live scan job for the document is refused by the database.
    await expect(
      (await ownerDb()).query(
        "insert into public.jobs (org_id, kind, payload, idempotency_key, created_by) values ($1, 'documents.scan', jsonb_build_object('documentId', $2::text), 'other', 'x')",
        [t.orgId, waiting],
      ),
    ).rejects.toMatchObject({ code: "23505" });
  });

  it("a clean or infected document is never swept", async () => {
    const t = await tenant("SweepDone");
    const done = await upload(t, "already clean");
    stopWorker = startWorker({ handlers: [documentScanJob], pollIntervalMs: 25, stopGraceMs: 2_000 });
    await waitFor(async () => (await status(done)) === "clean");
    await stopWorker();
    stopWorker = undefined;
    await sweep();
    expect(await scanJobs(done)).toMatchObject([{ state: "succeeded" }]);
  });

  it("with no scanner configured the sweep does nothing (the jobs would only leave the documents pending again)", async () => {
    const t = await tenant("SweepOff");
    const id = await upload(t, "no scanner");
    await (await ownerDb()).query("delete from public.jobs where kind = 'documents.scan' and payload ->> 'documentId' = $1", [id]);
    const storage = new LocalStorage(root);
    useDocumentServices({ storage, scanner: null });
    try {
      expect(await sweep()).toMatchObject({ skipped: "no scanner configured", enqueued: 0 });
      expect(await scanJobs(id)).toEqual([]);
    } finally {
      useDocumentServices({ storage, scanner: clamdScanner({ host: clamd.host, port: clamd.port }, { timeoutMs: 10_000, maxBytes: clamd.streamMaxBytes }) });
    }
  });
});
