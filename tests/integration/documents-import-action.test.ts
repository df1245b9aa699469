import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { startRequest, nextRequest } from "../helpers/next-request";

// The dashboard's URL import through the real "use server" action (next/headers is the shared request-scope
// helper, with a real embedded-IdP session cookie), the real SSRF-safe client (lib/http/outbound) against a real
// local HTTP server, real storage in a temporary directory and the real project page's read. Nothing of ours is
// replaced; the only test setting is the documented loopback allow-list (URL_IMPORT_ALLOW_HOSTS).
vi.mock("next/headers", () => import("../helpers/next-request"));

const { closeDb, ownerDb } = await import("@/lib/db");
const { env } = await import("@/lib/env");
const { LocalStorage } = await import("@/lib/files");
const { useDocumentServices } = await import("@/lib/documents/services");
const { createProject } = await import("@/lib/projects");
const { SESSION_COOKIE_NAME } = await import("@/lib/auth/cookie-name");
const { RATE_LIMIT_CLASSES } = await import("@/lib/ratelimit");
const { importDocumentAction } = await import("@/app/(dashboard)/projects/[id]/document-actions");
const { default: ProjectPage } = await import("@/app/(dashboard)/projects/[id]/page");
const { createOrg, createUser, request, signIn } = await import("../helpers/tenants");
const { awayFromWindowEdge } = await import("../helpers/rate-limit-window");

let root: string;
let server: http.Server;
let port = 0;
let connections = 0;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tg-dashboard-import-"));
  useDocumentServices({ storage: new LocalStorage(root), scanner: null });
  server = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(`imported over http: ${req.url}\n`);
  });
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(root, { recursive: true, force: true });
  await closeDb();
});

function asUser(token: string) {
  startRequest({ cookie: `${SESSION_COOKIE_NAME}=${token}`, "user-agent": "vitest", "x-forwarded-for": "203.0.113.10" });
  nextRequest.cookies.set(SESSION_COOKIE_NAME, { value: token, options: {} });
}

function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.set(k, v);
  return data;
}

async function memberWithProject(role: "member" | "admin" = "member") {
  const org = await createOrg("Acme");
  const user = await createUser([{ orgId: org.id, role }]);
  const signedIn = await signIn(user, { ...org, role });
  const project = await createProject(signedIn.session, { name: "Imports" }, request());
  if (!project.ok) throw new Error("setup");
  return { org, ...signedIn, projectId: project.data.id };
}

async function withSettings<T>(settings: { allowHosts?: string[]; allowedPorts?: number[] }, run: () => Promise<T>): Promise<T> {
  const saved = { hosts: env.URL_IMPORT_ALLOW_HOSTS, ports: env.URL_IMPORT_ALLOWED_PORTS };
  if (settings.allowHosts) env.URL_IMPORT_ALLOW_HOSTS = settings.allowHosts;
  if (settings.allowedPorts) env.URL_IMPORT_ALLOWED_PORTS = settings.allowedPorts;
  try {
    return await run();
  } finally {
    env.URL_IMPORT_ALLOW_HOSTS = saved.hosts;
    env.URL_IMPORT_ALLOWED_PORTS = saved.ports;
  }
}

const quarantined = (orgId: string) => readdir(path.join(root, "quarantine", orgId)).catch(() => [] as string[]);

describe("the dashboard's URL import (SSRF-1, FILE-1..4)", () => {
  it("an allow-listed local server is imported: the document is listed pending, with its origin, audited", async () => {
    const t = await memberWithProject();
    asUser(t.token);
    const url = `http://127.0.0.1:${port}/reports/q3%20notes.txt`;
    const state = await withSettings({ allowHosts: [`127.0.0.1:${port}`] }, () => importDocumentAction({ ok: null }, form({ projectId: t.projectId, url })));
    expect(state).toEqual({ ok: true, message: "Imported “q3 notes.txt”; waiting for its virus scan." });

    const page = await ProjectPage.readFor(t.session, { id: t.projectId }, request());
    if (page.kind !== "ok") throw new Error(`page: ${page.kind}`);
    expect(page.data.documents).toMatchObject([{ name: "q3 notes.txt", status: "pending_scan", source: "url" }]);
    // FILE-2: no scanner in this file, and the page says why the document stays pending.
    expect(page.data.scannerNotice).toMatch(/documents stay pending and cannot be downloaded/);
    const [audit] = await (await ownerDb()).query<{ actor_id: string; changes: { sourceHost: string } }>(
      "select actor_id, changes from public.audit_logs where org_id = $1 and action = 'document.imported'",
      [t.org.id],
    );
    expect(audit).toMatchObject({ actor_id: t.session.userId, changes: { sourceHost: `127.0.0.1:${port}` } });
  });

  it("a private address is refused before any connection: the reason is shown on the field and the typed URL is kept", async () => {
    const t = await memberWithProject();
    asUser(t.token);
    const before = connections;
    const url = `http://127.0.0.1:${port}/notes.txt`;
    // The port is allowed, so what refuses it is the address check (not the port rule).
    const state = await withSettings({ allowedPorts: [80, 443, port] }, () => importDocumentAction({ ok: null }, form({ projectId: t.projectId, url })));
    expect(state).toEqual({
      ok: false,
      message: '"127.0.0.1" is or resolves to a private or reserved address.',
      fieldErrors: { url: ['"127.0.0.1" is or resolves to a private or reserved address.'] },
      url,
    });
    expect(connections).toBe(before);
    expect(await quarantined(t.org.id)).toEqual([]);
    const page = await ProjectPage.readFor(t.session, { id: t.projectId }, request());
    expect(page.kind === "ok" && page.data.documents).toEqual([]);
  });

  it.each([
    ["a file: URL", "file:///etc/passwd", /Only http and https URLs can be imported/],
    ["a metadata address", "http://169.254.169.254/latest/meta-data/", /private or reserved address/],
    ["a local name", "http://localhost/x.txt", /not a public host name/],
    ["credentials in the URL", "https://user:pw@example.com/x.txt", /user name or password/],
    ["no URL", "   ", /Enter the http or https URL/],
  ])("%s is refused with its reason, nothing stored", async (_label, url, reason) => {
    const t = await memberWithProject();
    asUser(t.token);
    const state = await importDocumentAction({ ok: null }, form({ projectId: t.projectId, url }));
    expect(state.ok).toBe(false);
    expect(state.fieldErrors?.url?.[0]).toMatch(reason);
    expect(state.url).toBe(url);
    expect(await quarantined(t.org.id)).toEqual([]);
  });

  it("another org's project is not found before anything is fetched, the probe is recorded, nothing is stored", async () => {
    const mine = await memberWithProject();
    const theirs = await memberWithProject();
    asUser(mine.token);
    const before = connections;
    const state = await withSettings({ allowHosts: [`127.0.0.1:${port}`] }, () =>
      importDocumentAction({ ok: null }, form({ projectId: theirs.projectId, url: `http://127.0.0.1:${port}/x.txt` })),
    );
    expect(state).toMatchObject({ ok: false, message: "That project does not exist." });
    // The project is looked up (under RLS) before anything is fetched for it.
    expect(connections).toBe(before);
    const [probe] = await (await ownerDb()).query<{ target_id: string }>(
      "select target_id from public.audit_logs where org_id = $1 and action = 'security.cross_tenant_access'",
      [mine.org.id],
    );
    expect(probe).toEqual({ target_id: theirs.projectId });
    expect(await quarantined(mine.org.id)).toEqual([]);
    expect(await quarantined(theirs.org.id)).toEqual([]);
  });

  it("the import class limits a user's imports (RL-1): refused with a wait, before the URL is read", async () => {
    const t = await memberWithProject();
    asUser(t.token);
    await awayFromWindowEdge(60_000, 15_000);
    const states = [];
    for (let i = 0; i <= RATE_LIMIT_CLASSES.import.limit; i++) states.push(await importDocumentAction({ ok: null }, form({ projectId: t.projectId, url: "ftp://example.com/x" })));
    expect(states.slice(0, RATE_LIMIT_CLASSES.import.limit).every((s) => /Only http and https/.test(s.fieldErrors?.url?.[0] ?? ""))).toBe(true);
    expect(states.at(-1)).toMatchObject({ ok: false, message: expect.stringMatching(/^Too many imports\. Try again in \d+ seconds\.$/), url: "ftp://example.com/x" });
  });

  it("no session: nothing is imported", async () => {
    startRequest({});
    expect(await importDocumentAction({ ok: null }, form({ projectId: "00000000-0000-4000-8000-000000000000", url: "https://example.com/x.txt" }))).toMatchObject({
      ok: false,
      message: "Sign in and choose an organisation first.",
    });
  });
});
