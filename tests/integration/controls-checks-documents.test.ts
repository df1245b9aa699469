import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DeleteBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { closeDb, ownerDb } from "@/lib/db";
import { clamdScanner } from "@/lib/files";
import { LIVE_CHECKS } from "@/lib/controls";
import { checkDeadJobs, checkFileStorage, checkPendingScans, checkVirusScanner, runControlChecks } from "@/lib/controls/checks";
import { startClamd, type Clamd } from "../helpers/clamd";
import { startS3Server } from "../helpers/s3-server";
import { orgWithMembers } from "../helpers/tenants";
import { inRolledBackOwnerTransaction } from "../helpers/owner-scratch";
import { testKind } from "./jobs-helpers";

// The documents pipeline's live checks (lib/controls/checks/documents.ts): each is made to fail (or warn) by the
// state it watches for, with real PostgreSQL/PGlite rows, a real clamd and a real s3rver; nothing is left behind.

let clamd: Clamd;
let root: string;

beforeAll(async () => {
  clamd = await startClamd();
  root = await mkdtemp(path.join(os.tmpdir(), "tg-controls-docs-"));
});

afterAll(async () => {
  await clamd?.stop();
  await rm(root, { recursive: true, force: true });
  await closeDb();
});

const scannerOf = (c: Clamd) => clamdScanner({ host: c.host, port: c.port }, { timeoutMs: 2_000, maxBytes: c.streamMaxBytes });

async function projectOf(orgId: string): Promise<string> {
  const [p] = await (await ownerDb()).query<{ id: string }>("insert into public.projects (org_id, name, created_by) values ($1, 'P', 'user_x') returning id", [orgId]);
  return p!.id;
}

describe("documents live checks", () => {
  it("are declared and run with the others, none failing on the migrated system", async () => {
    for (const id of ["pending-scans", "dead-jobs", "virus-scanner", "file-storage"]) expect(Object.keys(LIVE_CHECKS)).toContain(id);
    const results = await runControlChecks();
    for (const id of ["pending-scans", "virus-scanner", "file-storage"] as const) expect(results.find((r) => r.id === id)!.status, id).not.toBe("fail");
  });

  it("pending-scans fails for a document waiting more than an hour while a scanner is configured, warns with none, passes once decided", async () => {
    const { org } = await orgWithMembers("PendingScans");
    const projectId = await projectOf(org.id);
    const scanner = scannerOf(clamd);
    const results = await inRolledBackOwnerTransaction(async (tx) => {
      const fresh = await checkPendingScans({ db: tx, scanner });
      const [doc] = await tx.query<{ id: string }>(
        `insert into public.documents (org_id, project_id, name, mime_type, size_bytes, created_by, status, storage_key, created_at)
         values ($1, $2, 'old.txt', 'text/plain', 1, 'user_x', 'pending_scan', 'quarantine/' || $1 || '/x', now() - interval '2 hours') returning id`,
        [org.id, projectId],
      );
      const stuck = await checkPendingScans({ db: tx, scanner });
      const off = await checkPendingScans({ db: tx, scanner: null });
      await tx.query("update public.documents set status = 'scan_failed' where id = $1", [doc!.id]);
      const failedScan = await checkPendingScans({ db: tx, scanner });
      await tx.query("update public.documents set status = 'clean', storage_key = 'files/' || org_id || '/x' where id = $1", [doc!.id]);
      const decided = await checkPendingScans({ db: tx, scanner });
      return { fresh, stuck, off, failedScan, decided };
    });
    expect(results.fresh.status).toBe("pass");
    expect(results.stuck).toEqual({ status: "fail", detail: expect.stringMatching(/^1 document\(s\) have waited .* although a scanner is configured/) });
    expect(results.off).toEqual({ status: "warn", detail: expect.stringMatching(/no virus scanner is configured/) });
    expect(results.failedScan.status).toBe("fail");
    expect(results.decided.status).toBe("pass");
  });

  it("dead-jobs counts the dead-letter jobs by kind: a warning once any is dead", async () => {
    const { org } = await orgWithMembers("DeadJobs");
    const kind = testKind("dead");
    const results = await inRolledBackOwnerTransaction(async (tx) => {
      await tx.query("delete from public.jobs where state = 'dead'"); // a system with none (rolled back afterwards)
      const none = await checkDeadJobs(tx);
      for (let i = 0; i < 2; i++) {
        await tx.query("insert into public.jobs (org_id, kind, state, attempts, finished_at, created_by) values ($1, $2, 'dead', 5, now(), 'user_x')", [org.id, kind]);
      }
      return { none, dead: await checkDeadJobs(tx) };
    });
    expect(results.none).toEqual({ status: "pass", detail: "No job is in the dead-letter state." });
    expect(results.dead).toEqual({ status: "warn", detail: expect.stringMatching(new RegExp(`^2 dead job\\(s\\) \\(${kind.replace(/\./g, "\\.")}: 2\\)`)) });
    expect(results.dead.detail).not.toContain(org.id);
  });

  it("virus-scanner passes while clamd answers, fails once the configured clamd is stopped, warns with none", async () => {
    const own = await startClamd();
    const scanner = scannerOf(own);
    expect(await checkVirusScanner(scanner)).toEqual({ status: "pass", detail: expect.stringMatching(/^ClamAV \d\S* \(clamd\)/) });
    await own.stop();
    const down = await checkVirusScanner(scanner);
    expect(down).toEqual({ status: "fail", detail: "The configured virus scanner does not answer: uploads stay in quarantine until it does." });
    expect(down.detail).not.toContain(String(own.port));
    expect((await checkVirusScanner(null)).status).toBe("warn");
  });

  it("file-storage passes for a usable directory and a live bucket, fails for an unusable directory, a deleted bucket or a stopped server", async () => {
    expect(await checkFileStorage({ backend: "local", root: path.join(root, "files") })).toMatchObject({ status: "pass" });
    const notADirectory = path.join(root, "plain-file");
    await writeFile(notADirectory, "x");
    expect(await checkFileStorage({ backend: "local", root: notADirectory })).toMatchObject({ status: "fail" });

    const s3 = await startS3Server("tg-controls-bucket");
    const settings = { backend: "s3" as const, bucket: s3.bucket, region: "us-east-1", endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true };
    try {
      expect(await checkFileStorage(settings)).toEqual({ status: "pass", detail: "S3-compatible storage: S3-compatible bucket reachable." });
      await new S3Client({ region: "us-east-1", endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } }).send(
        new DeleteBucketCommand({ Bucket: s3.bucket }),
      );
      const gone = await checkFileStorage(settings);
      expect(gone).toEqual({ status: "fail", detail: "S3-compatible storage: The configured bucket does not exist." });
      expect(JSON.stringify(gone)).not.toContain(s3.bucket);
    } finally {
      await s3.stop();
    }
    expect(await checkFileStorage(settings)).toMatchObject({ status: "fail", detail: expect.stringMatching(/did not answer/) });
  });
});
