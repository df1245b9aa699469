import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { closeDb, ownerDb } from "@/lib/db";
import { env } from "@/lib/env";
import { createProject } from "@/lib/projects";
import { grantProjectAccess } from "@/lib/grants";
import { clamdScanner, LocalStorage, S3Storage, signDownloadToken, type ObjectStorage } from "@/lib/files";
import { startWorker, type StopWorker } from "@/lib/jobs";
import { documentScanJob } from "@/lib/documents/scan";
import { createDownloadUrl, removeDocument, rescanDocument, uploadDocument } from "@/lib/documents";
import { useDocumentServices } from "@/lib/documents/services";
import { GET as download } from "@/app/api/documents/download/route";
import { EICAR, startClamd, type Clamd } from "../helpers/clamd";
import { startS3Server, type S3Server } from "../helpers/s3-server";
import { orgWithMembers, request } from "../helpers/tenants";
import { callApi, newKey } from "../helpers/api";
import { expireLeases, waitFor } from "./jobs-helpers";
import { claimJobs } from "@/lib/jobs/queue";
import { awayFromWindowEdge } from "../helpers/rate-limit-window";

// FILE-1..4, SSRF-1, AUD-3 through the partner API's real route handlers, a real clamd, real storage (a temporary
// directory, and an s3rver), the real job queue and worker. Nothing of our own code is replaced.

let root: string;
let clamd: Clamd;
let s3: S3Server;
let local: LocalStorage;
let stopWorker: StopWorker | undefined;

const scannerOf = (c: Clamd) => clamdScanner({ host: c.host, port: c.port }, { timeoutMs: 10_000, maxBytes: c.streamMaxBytes });

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tg-documents-"));
  [clamd, s3] = await Promise.all([startClamd(), startS3Server()]);
  local = new LocalStorage(root);
  useDocumentServices({ storage: local, scanner: scannerOf(clamd) });
});

afterEach(async () => {
  await stopWorker?.();
  stopWorker = undefined;
  useDocumentServices({ storage: local, scanner: scannerOf(clamd) });
});

afterAll(async () => {
  await Promise.all([clamd?.stop(), s3?.stop()]);
  await rm(root, { recursive: true, force: true });
  await closeDb();
});

const runWorker = () => {
  stopWorker = startWorker({ handlers: [documentScanJob], pollIntervalMs: 25, stopGraceMs: 2_000, backoff: { baseMs: 50, capMs: 200 } });
};

async function tenant(name: string) {
  const org = await orgWithMembers(name);
  const project = await createProject(org.admin, { name: "Files" }, request());
  if (!project.ok) throw new Error("setup");
  const key = await newKey(org.admin);
  return { org, projectId: project.data.id, key: key.plaintext, orgId: org.org.id };
}

function upload(t: { key: string; projectId: string }, bytes: Uint8Array, init: { type: string; name: string; headers?: Record<string, string> }) {
  return callApi("post", `/api/v1/projects/${t.projectId}/documents`, {
    key: t.key,
    rawBody: new Uint8Array(bytes),
    contentType: init.type,
    headers: { "x-file-name": encodeURIComponent(init.name), ...init.headers },
  });
}

const docRow = async (id: string) =>
  (await (await ownerDb()).query<{ status: string; storage_key: string | null; scanner: string | null; scan_signature: string | null }>(
    "select status, storage_key, scanner, scan_signature from public.documents where id = $1",
    [id],
  ))[0];

const filesUnder = async (area: string, orgId: string) => readdir(path.join(root, area, orgId)).catch(() => [] as string[]);

async function fetchDownload(url: string) {
  const res = await download(new Request(url.replace(/^https?:\/\/[^/]+/, "http://localhost:3000")));
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fe0dd3a2ee0000000049454e44ae426082", "hex");

describe("uploads through the API: quarantine, scan, promotion, download (FILE-1..3)", () => {
  it("a clean file is pending in quarantine, scanned clean, promoted, and downloadable byte for byte with safe headers", async () => {
    const t = await tenant("Acme");
    const content = Buffer.from("name,amount\nAcme,12\n".repeat(100));
    const res = await upload(t, content, { type: "text/csv", name: "Q3 export.csv" });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ status: "pending_scan", name: "Q3 export.csv", sizeBytes: content.byteLength, duplicate: false });
    const id = res.json!.id as string;
    expect(await filesUnder("quarantine", t.orgId)).toEqual([id]);

    // Not downloadable while pending.
    const early = await callApi("post", `/api/v1/documents/${id}/download-urls`, { key: t.key });
    expect(early.status).toBe(409);
    expect(early.json!.detail).toMatch(/pending scan/);

    runWorker();
    await waitFor(async () => (await docRow(id))?.status === "clean");
    expect(await docRow(id)).toMatchObject({ storage_key: `files/${t.orgId}/${id}`, scanner: expect.stringMatching(/clam/i) });
    expect(await filesUnder("quarantine", t.orgId)).toEqual([]);

    const issued = await callApi("post", `/api/v1/documents/${id}/download-urls`, { key: t.key });
    expect(issued.status).toBe(201);
    const got = await fetchDownload(issued.json!.url as string);
    expect(got.status).toBe(200);
    expect(createHash("sha256").update(got.body).digest("hex")).toBe(createHash("sha256").update(content).digest("hex"));
    expect(got.headers.get("content-disposition")).toMatch(/^attachment; filename="Q3 export.csv"/);
    expect(got.headers.get("x-content-type-options")).toBe("nosniff");
    expect(got.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    expect(got.headers.get("content-type")).toMatch(/^text\/csv/);

    // AUD-3: upload, scan verdict and download-URL issue are in the org's audit chain.
    const actions = (await (await ownerDb()).query<{ action: string }>("select action from public.audit_logs where org_id = $1 and target_id = $2 order by seq", [t.orgId, id])).map((r) => r.action);
    expect(actions).toEqual(["document.uploaded", "document.scan_verdict", "document.download_url_issued"]);
  });

  it("EICAR is recorded infected with its signature, deleted from quarantine, and never downloadable", async () => {
    const t = await tenant("Acme");
    const res = await upload(t, EICAR, { type: "text/plain", name: "eicar.txt" });
    expect(res.status).toBe(201);
    const id = res.json!.id as string;
    runWorker();
    await waitFor(async () => (await docRow(id))?.status === "infected");
    expect(await docRow(id)).toMatchObject({ storage_key: null, scan_signature: expect.stringMatching(/eicar/i) });
    expect(await filesUnder("quarantine", t.orgId)).toEqual([]);
    expect(await filesUnder("files", t.orgId)).toEqual([]);
    const refused = await callApi("post", `/api/v1/documents/${id}/download-urls`, { key: t.key });
    expect(refused.status).toBe(409);
    expect(refused.json!.detail).toMatch(/infected/);
    // Even a correctly signed token for it is refused.
    const { token } = await signDownloadToken({ documentId: id, orgId: t.orgId });
    expect((await fetchDownload(`http://localhost:3000/api/documents/download?token=${token}`)).status).toBe(404);
  });

  it("with the scanner stopped the document stays blocked (scan_failed) and the job is retried; once a scanner answers it ends clean", async () => {
    const t = await tenant("Acme");
    const down = await startClamd();
    useDocumentServices({ storage: local, scanner: scannerOf(down) });
    await down.stop();
    const res = await upload(t, Buffer.from("hello, quarantine\n"), { type: "text/plain", name: "note.txt" });
    const id = res.json!.id as string;
    runWorker();
    const failed = await waitFor(async () => {
      const [job] = await (await ownerDb()).query<{ attempts: number; state: string }>("select attempts, state from public.jobs where payload ->> 'documentId' = $1", [id]);
      return job && job.attempts >= 2 ? job : undefined;
    });
    expect(failed.state).not.toBe("succeeded");
    expect((await docRow(id))?.status).toBe("scan_failed");
    expect((await callApi("post", `/api/v1/documents/${id}/download-urls`, { key: t.key })).status).toBe(409);
    useDocumentServices({ storage: local, scanner: scannerOf(clamd) });
    await waitFor(async () => (await docRow(id))?.status === "clean");
  });

  it("a worker that dies mid-job (its claim never completes) loses the job at the lease's end; another worker scans it", async () => {
    const t = await tenant("Acme");
    const id = (await upload(t, Buffer.from(`claimed then abandoned ${randomBytes(4).toString("hex")}\n`), { type: "text/plain", name: "orphan.txt" })).json!.id as string;
    // The dead worker: it claimed the job (under a lease) and then never ran, completed or released it.
    const claimed = await claimJobs("dead-worker", [documentScanJob.kind], 100, 60);
    expect(claimed.some((j) => (j.payload as { documentId: string }).documentId === id)).toBe(true);
    runWorker();
    expect((await docRow(id))?.status).toBe("pending_scan");
    await expireLeases(documentScanJob.kind); // the lease runs out (the clock moved by the owner, not waited for)
    await waitFor(async () => (await docRow(id))?.status === "clean");
  });

  it("with no scanner configured the scan job completes and the document stays pending, never served; an admin's re-scan decides it later", async () => {
    const t = await tenant("Acme");
    useDocumentServices({ storage: local, scanner: null });
    const id = (await upload(t, Buffer.from(`unscanned ${randomBytes(4).toString("hex")}\n`), { type: "text/plain", name: "later.txt" })).json!.id as string;
    runWorker();
    await waitFor(async () => {
      const [job] = await (await ownerDb()).query<{ state: string }>("select state from public.jobs where payload ->> 'documentId' = $1", [id]);
      return job?.state === "succeeded";
    });
    expect(await docRow(id)).toMatchObject({ status: "pending_scan", storage_key: `quarantine/${t.orgId}/${id}` });
    expect((await callApi("post", `/api/v1/documents/${id}/download-urls`, { key: t.key })).status).toBe(409);
    useDocumentServices({ storage: local, scanner: scannerOf(clamd) });
    expect(await rescanDocument(t.org.member, { id }, request())).toMatchObject({ ok: false, status: 403 });
    expect(await rescanDocument(t.org.admin, { id }, request())).toMatchObject({ ok: true });
    await waitFor(async () => (await docRow(id))?.status === "clean");
    expect(await rescanDocument(t.org.admin, { id }, request())).toMatchObject({ ok: false, status: 409 });
  });

  it("works the same on S3-compatible storage", async () => {
    const storage: ObjectStorage = new S3Storage({ bucket: s3.bucket, region: "us-east-1", endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    useDocumentServices({ storage, scanner: scannerOf(clamd) });
    const t = await tenant("Acme");
    const content = randomBytes(32).toString("hex") + "\n";
    const id = (await upload(t, Buffer.from(content), { type: "text/plain", name: "s3.txt" })).json!.id as string;
    expect(await storage.exists(`quarantine/${t.orgId}/${id}`)).toBe(true);
    runWorker();
    await waitFor(async () => (await docRow(id))?.status === "clean");
    expect(await storage.exists(`quarantine/${t.orgId}/${id}`)).toBe(false);
    const issued = await callApi("post", `/api/v1/documents/${id}/download-urls`, { key: t.key });
    expect((await fetchDownload(issued.json!.url as string)).body.toString()).toBe(content);
  });
});

describe("refused uploads store nothing (FILE-1)", () => {
  it("mislabelled, HTML as image, empty, oversized and path-like names are refused with a clear problem; no row, no object", async () => {
    const t = await tenant("Acme");
    const cases: [string, Uint8Array, { type: string; name: string; headers?: Record<string, string> }, number, RegExp][] = [
      ["a PNG named .pdf", PNG, { type: "application/pdf", name: "report.pdf" }, 415, /png/i],
      ["HTML declared image/png", Buffer.from("<!doctype html><script>alert(1)</script>"), { type: "image/png", name: "x.png" }, 415, /./],
      ["empty", new Uint8Array(0), { type: "text/plain", name: "empty.txt" }, 415, /empty/i],
      ["traversal name", Buffer.from("hi\n"), { type: "text/plain", name: "../../etc/passwd.txt" }, 422, /\//],
      ["over the limit by its declared length", Buffer.from("hi\n"), { type: "text/plain", name: "big.txt", headers: { "content-length": String(env.MAX_UPLOAD_BYTES + 1) } }, 413, /limit/],
    ];
    for (const [what, bytes, init, status, detail] of cases) {
      const res = await upload(t, bytes, init);
      expect(res.status, what).toBe(status);
      expect(String(res.json!.detail), what).toMatch(detail);
    }
    const saved = env.MAX_UPLOAD_BYTES;
    env.MAX_UPLOAD_BYTES = 1024;
    try {
      const res = await upload(t, Buffer.from("a".repeat(4096)), { type: "text/plain", name: "streamed-big.txt" });
      expect(res.status).toBe(413);
      expect(res.json!.detail).toMatch(/1 KB/);
    } finally {
      env.MAX_UPLOAD_BYTES = saved;
    }
    const [{ n }] = (await (await ownerDb()).query<{ n: number }>("select count(*)::int as n from public.documents where org_id = $1", [t.orgId])) as [{ n: number }];
    expect(n).toBe(0);
    expect(await filesUnder("quarantine", t.orgId)).toEqual([]);
  });

  it("the org's storage quota is enforced in the database: 413 naming the limit, nothing stored", async () => {
    const t = await tenant("Acme");
    const saved = env.ORG_STORAGE_QUOTA_BYTES;
    env.ORG_STORAGE_QUOTA_BYTES = 2048;
    try {
      expect((await upload(t, Buffer.from("a".repeat(1500) + "\n"), { type: "text/plain", name: "one.txt" })).status).toBe(201);
      const res = await upload(t, Buffer.from("b".repeat(1500) + "\n"), { type: "text/plain", name: "two.txt" });
      expect(res.status).toBe(413);
      expect(res.json!.detail).toMatch(/quota of 2 KB/);
    } finally {
      env.ORG_STORAGE_QUOTA_BYTES = saved;
    }
    expect((await filesUnder("quarantine", t.orgId)).length).toBe(1);
  });
});

describe("deduplication (FILE-4)", () => {
  it("the same bytes twice in one org answer the existing document as a duplicate and store no second object; another org gets its own", async () => {
    const a = await tenant("Acme");
    const b = await tenant("Globex");
    const content = Buffer.from(`same bytes ${randomBytes(8).toString("hex")}\n`);
    const first = await upload(a, content, { type: "text/plain", name: "a.txt" });
    const again = await upload(a, content, { type: "text/plain", name: "copy.txt" });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ id: first.json!.id, name: "a.txt", duplicate: true });
    expect(await filesUnder("quarantine", a.orgId)).toEqual([first.json!.id]);

    const other = await upload(b, content, { type: "text/plain", name: "b.txt" });
    expect(other.status).toBe(201);
    expect(other.json).toMatchObject({ name: "b.txt", duplicate: false });
    expect(other.json!.id).not.toBe(first.json!.id);
  });
});

describe("download URLs (FILE-3, TEN-4)", () => {
  it("expired, tampered, another org's and unknown tokens are the same 404; another org's key cannot issue one", async () => {
    const a = await tenant("Acme");
    const b = await tenant("Globex");
    const id = (await upload(a, Buffer.from("download me\n"), { type: "text/plain", name: "d.txt" })).json!.id as string;
    runWorker();
    await waitFor(async () => (await docRow(id))?.status === "clean");

    expect((await callApi("post", `/api/v1/documents/${id}/download-urls`, { key: b.key })).status).toBe(404);
    const expired = await signDownloadToken({ documentId: id, orgId: a.orgId }, { now: new Date(Date.now() - 3_600_000) });
    const good = await signDownloadToken({ documentId: id, orgId: a.orgId });
    const otherOrg = await signDownloadToken({ documentId: id, orgId: b.orgId });
    const tampered = good.token.slice(0, -2) + (good.token.endsWith("AA") ? "AB" : "AA");
    for (const [what, token] of [["expired", expired.token], ["tampered", tampered], ["other org", otherOrg.token], ["garbage", "v1.x"]] as const) {
      const res = await fetchDownload(`http://localhost:3000/api/documents/download?token=${encodeURIComponent(token)}`);
      expect(res.status, what).toBe(404);
      expect(res.body.toString(), what).toMatch(/invalid or has expired/);
    }
    expect((await fetchDownload(`http://localhost:3000/api/documents/download?token=${good.token}`)).status).toBe(200);

    // Deleted: the row and the stored file are gone, the token no longer works.
    expect((await callApi("delete", `/api/v1/documents/${id}`, { key: a.key })).status).toBe(204);
    expect(await filesUnder("files", a.orgId)).toEqual([]);
    expect((await fetchDownload(`http://localhost:3000/api/documents/download?token=${good.token}`)).status).toBe(404);
  });
});

describe("URL import (SSRF-1 then the same pipeline)", () => {
  let server: http.Server;
  let connections = 0;
  let port = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("imported text\n");
    });
    server.on("connection", () => connections++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("an allow-listed local server is imported: pending, then clean", async () => {
    const t = await tenant("Acme");
    const saved = env.URL_IMPORT_ALLOW_HOSTS;
    env.URL_IMPORT_ALLOW_HOSTS = [`127.0.0.1:${port}`];
    try {
      const res = await callApi("post", `/api/v1/projects/${t.projectId}/documents/imports`, { key: t.key, body: { url: `http://127.0.0.1:${port}/notes.txt` } });
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({ name: "notes.txt", status: "pending_scan", source: "url" });
      runWorker();
      await waitFor(async () => (await docRow(res.json!.id as string))?.status === "clean");
    } finally {
      env.URL_IMPORT_ALLOW_HOSTS = saved;
    }
  });

  it("a private address (this same server, not allow-listed) is refused with 422 before any connection", async () => {
    const t = await tenant("Acme");
    const before = connections;
    const res = await callApi("post", `/api/v1/projects/${t.projectId}/documents/imports`, { key: t.key, body: { url: `http://127.0.0.1:${port}/notes.txt` } });
    expect(res.status).toBe(422);
    expect(connections).toBe(before);
    expect(await filesUnder("quarantine", t.orgId)).toEqual([]);
  });
});

describe("upload and import rate-limit classes (RL-1)", () => {
  it("a key gets the import class's budget in a minute, then 429 with Retry-After, before the URL is even read", async () => {
    const t = await tenant("Acme");
    await awayFromWindowEdge(60_000, 15_000);
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 21; i++) {
      last = await callApi("post", `/api/v1/projects/${t.projectId}/documents/imports`, { key: t.key, body: { url: "not a url" } });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 422)).toBe(true);
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // The upload class is separate: the key can still upload.
    expect((await upload(t, Buffer.from("still allowed\n"), { type: "text/plain", name: "ok.txt" })).status).toBe(201);
  });
});

describe("the dashboard's documents actions (session principals)", () => {
  it("a member uploads and gets a URL once clean; only an admin deletes; another org's member sees nothing", async () => {
    const t = await tenant("Acme");
    const other = await orgWithMembers("Globex");
    // TEN-7: members read projects by default; this member is an editor of the project.
    const email = `${t.org.member.userId}@example.test`;
    expect(await grantProjectAccess(t.org.admin, { projectId: t.projectId, email, role: "editor", expiresInDays: "" }, request())).toMatchObject({ ok: true });
    const content = Buffer.from(`from the dashboard ${randomBytes(4).toString("hex")}\n`);
    const uploaded = await uploadDocument(t.org.member, { projectId: t.projectId, source: [content], declaredType: "text/plain", name: "dash.txt" }, request());
    if (!uploaded.ok) throw new Error(JSON.stringify(uploaded));
    expect(uploaded.data).toMatchObject({ duplicate: false, document: { status: "pending_scan", created_by: t.org.member.userId } });
    const id = uploaded.data.document.id;
    const refused = await uploadDocument(t.org.member, { projectId: t.projectId, source: [PNG], declaredType: "application/pdf", name: "x.pdf" }, request());
    expect(refused).toMatchObject({ ok: false, status: 415 });
    expect(await uploadDocument(other.member, { projectId: t.projectId, source: [Buffer.from("x\n")], declaredType: "text/plain", name: "y.txt" }, request())).toMatchObject({ ok: false, status: 404 });
    expect(await filesUnder("quarantine", other.org.id)).toEqual([]);

    expect(await createDownloadUrl(t.org.member, { id }, request())).toMatchObject({ ok: false, status: 409 });
    runWorker();
    await waitFor(async () => (await docRow(id))?.status === "clean");
    const url = await createDownloadUrl(t.org.member, { id }, request());
    if (!url.ok) throw new Error(JSON.stringify(url));
    expect((await fetchDownload(url.data.url)).body.equals(content)).toBe(true);
    expect(await createDownloadUrl(other.member, { id }, request())).toMatchObject({ ok: false, status: 404 });

    expect(await removeDocument(t.org.member, { id }, request())).toMatchObject({ ok: false, status: 403 });
    expect(await removeDocument(t.org.admin, { id }, request())).toMatchObject({ ok: true });
    expect(await filesUnder("files", t.orgId)).toEqual([]);
  });
});
