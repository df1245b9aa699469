import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { closeDb, ownerDb } from "@/lib/db";
import { env } from "@/lib/env";
import { createProject } from "@/lib/projects";
import { clamdScanner, LocalStorage } from "@/lib/files";
import { startWorker, type StopWorker } from "@/lib/jobs";
import { documentScanJob } from "@/lib/documents/scan";
import { useDocumentServices } from "@/lib/documents/services";
import { checkAuditChain } from "@/lib/controls/checks";
import { EICAR, startClamd, type Clamd } from "../helpers/clamd";
import { orgWithMembers, request } from "../helpers/tenants";
import { callApi, newKey } from "../helpers/api";
import { waitFor } from "./jobs-helpers";

// AUD-3 for documents: every document event (upload, import, scan verdict, download-URL issue, delete) is in the
// org's hash chain, written in the same transaction as the change, attributed to the key or to the system actor, and
// without the file's content, its storage key or the imported URL's path and query.

let root: string;
let clamd: Clamd;
let stopWorker: StopWorker | undefined;
let server: http.Server;
let port = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tg-documents-audit-"));
  clamd = await startClamd();
  useDocumentServices({ storage: new LocalStorage(root), scanner: clamdScanner({ host: clamd.host, port: clamd.port }, { timeoutMs: 10_000, maxBytes: clamd.streamMaxBytes }) });
  server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(`imported ${randomBytes(4).toString("hex")}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  await stopWorker?.();
  stopWorker = undefined;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await clamd?.stop();
  await rm(root, { recursive: true, force: true });
  await closeDb();
});

interface Entry {
  action: string;
  actor_type: string;
  actor_id: string;
  target_id: string;
  changes: Record<string, unknown>;
}
const entriesFor = async (orgId: string, targetId: string) =>
  (await ownerDb()).query<Entry>("select action, actor_type, actor_id, target_id, changes from public.audit_logs where org_id = $1 and target_id = $2 order by seq", [
    orgId,
    targetId,
  ]);
const status = async (id: string) => (await (await ownerDb()).query<{ status: string }>("select status from public.documents where id = $1", [id]))[0]?.status;

describe("document events in the audit log (AUD-3)", () => {
  it("upload, scan verdict, download-URL issue and delete are audited in order, by the key and the system actor, and the chain verifies", async () => {
    const org = await orgWithMembers("DocAudit");
    const project = await createProject(org.admin, { name: "Files" }, request());
    if (!project.ok) throw new Error("setup");
    const key = await newKey(org.admin);
    const content = `confidential figures ${randomBytes(6).toString("hex")}\n`;
    const up = await callApi("post", `/api/v1/projects/${project.data.id}/documents`, {
      key: key.plaintext,
      rawBody: new Uint8Array(Buffer.from(content)),
      contentType: "text/plain",
      headers: { "x-file-name": "figures.txt" },
    });
    const id = up.json!.id as string;
    stopWorker = startWorker({ handlers: [documentScanJob], pollIntervalMs: 25, stopGraceMs: 2_000 });
    await waitFor(async () => (await status(id)) === "clean");
    expect((await callApi("post", `/api/v1/documents/${id}/download-urls`, { key: key.plaintext })).status).toBe(201);
    expect((await callApi("delete", `/api/v1/documents/${id}`, { key: key.plaintext })).status).toBe(204);

    const entries = await entriesFor(org.org.id, id);
    expect(entries.map((e) => [e.action, e.actor_type])).toEqual([
      ["document.uploaded", "api_key"],
      ["document.scan_verdict", "system"],
      ["document.download_url_issued", "api_key"],
      ["document.deleted", "api_key"],
    ]);
    expect(entries[0]!.changes).toMatchObject({ projectId: project.data.id, name: "figures.txt", mimeType: expect.stringMatching(/^text\/plain/), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(entries[1]).toMatchObject({ actor_id: "service:jobs", changes: { verdict: "clean", scanner: expect.stringMatching(/clam/i) } });
    expect(entries[3]!.changes).toMatchObject({ name: "figures.txt", status: "clean" });
    const text = JSON.stringify(entries);
    expect(text).not.toContain("confidential figures");
    expect(text).not.toMatch(/quarantine\/|files\//);
    expect(await checkAuditChain({ orgId: org.org.id })).toMatchObject({ status: "pass" });
  });

  it("an import is audited with the source host only; an infected verdict names the signature", async () => {
    const org = await orgWithMembers("DocAuditImport");
    const project = await createProject(org.admin, { name: "Files" }, request());
    if (!project.ok) throw new Error("setup");
    const key = await newKey(org.admin);
    const saved = env.URL_IMPORT_ALLOW_HOSTS;
    env.URL_IMPORT_ALLOW_HOSTS = [`127.0.0.1:${port}`];
    let imported: string;
    try {
      const res = await callApi("post", `/api/v1/projects/${project.data.id}/documents/imports`, {
        key: key.plaintext,
        body: { url: `http://127.0.0.1:${port}/reports/q3.txt?secret-token=abc123` },
      });
      expect(res.status).toBe(201);
      imported = res.json!.id as string;
    } finally {
      env.URL_IMPORT_ALLOW_HOSTS = saved;
    }
    const infected = await callApi("post", `/api/v1/projects/${project.data.id}/documents`, {
      key: key.plaintext,
      rawBody: new Uint8Array(EICAR),
      contentType: "text/plain",
      headers: { "x-file-name": "eicar.txt" },
    });
    const infectedId = infected.json!.id as string;
    stopWorker = startWorker({ handlers: [documentScanJob], pollIntervalMs: 25, stopGraceMs: 2_000 });
    await waitFor(async () => (await status(imported)) === "clean" && (await status(infectedId)) === "infected");

    const importEntries = await entriesFor(org.org.id, imported);
    expect(importEntries.map((e) => e.action)).toEqual(["document.imported", "document.scan_verdict"]);
    expect(importEntries[0]!.changes).toMatchObject({ sourceHost: `127.0.0.1:${port}` });
    expect(JSON.stringify(importEntries)).not.toMatch(/secret-token|abc123|reports\/q3/);
    const verdict = (await entriesFor(org.org.id, infectedId)).find((e) => e.action === "document.scan_verdict");
    expect(verdict).toMatchObject({ actor_type: "system", changes: { verdict: "infected", signature: expect.stringMatching(/eicar/i) } });
  });
});
