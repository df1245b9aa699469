import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startRequest } from "../helpers/next-request";

// The dashboard's upload route with a real embedded-IdP session cookie (next/headers is Next.js's request scope,
// given here by the shared helper), real storage in a temporary directory, the real project page's read.
vi.mock("next/headers", () => import("../helpers/next-request"));

const { closeDb } = await import("@/lib/db");
const { LocalStorage } = await import("@/lib/files");
const { useDocumentServices } = await import("@/lib/documents/services");
const { createProject } = await import("@/lib/projects");
const { SESSION_COOKIE_NAME } = await import("@/lib/auth/cookie-name");
const { POST: uploadRoute } = await import("@/app/api/documents/upload/route");
const { GET: downloadRoute } = await import("@/app/api/documents/download/route");
const { downloadDocumentAction, rescanDocumentAction } = await import("@/app/(dashboard)/projects/[id]/document-actions");
const { ownerDb } = await import("@/lib/db");
const { storageKey } = await import("@/lib/files");
const { default: ProjectPage } = await import("@/app/(dashboard)/projects/[id]/page");
const { createOrg, createUser, request, signIn } = await import("../helpers/tenants");

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tg-dashboard-docs-"));
  useDocumentServices({ storage: new LocalStorage(root), scanner: null });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await closeDb();
});

let cookie: string | null = null;
async function asUser(token: string | null) {
  cookie = token ? `${SESSION_COOKIE_NAME}=${token}` : null;
  startRequest(cookie ? { cookie } : {});
  const { nextRequest } = await import("../helpers/next-request");
  if (token) nextRequest.cookies.set(SESSION_COOKIE_NAME, { value: token, options: {} });
}

/** What the dashboard's page sends: same origin, the session cookie, the file's length. */
function post(projectId: string, body: string, name: string, type = "text/plain") {
  const headers: Record<string, string> = { origin: "http://localhost:3000", "content-type": type, "content-length": String(Buffer.byteLength(body)), "x-file-name": encodeURIComponent(name) };
  if (cookie) headers.cookie = cookie;
  return uploadRoute(new Request(`http://localhost:3000/api/documents/upload?projectId=${projectId}`, { method: "POST", headers, body }));
}

describe("dashboard uploads (FILE-1..4)", () => {
  it("a member's upload lands pending on the project page; refusals are problem+json; no session, no upload", async () => {
    const org = await createOrg("Acme");
    const user = await createUser([{ orgId: org.id, role: "member" }]);
    const { token, session } = await signIn(user, { ...org, role: "member" });
    const project = await createProject(session, { name: "Files" }, request());
    if (!project.ok) throw new Error("setup");

    await asUser(token);
    const res = await post(project.data.id, "hello from the browser\n", "hello.txt");
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ name: "hello.txt", status: "pending_scan", duplicate: false });

    const refused = await post(project.data.id, "<html><script>x</script>", "x.png", "image/png");
    expect(refused.status).toBe(415);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");

    const page = await ProjectPage.readFor(session, { id: project.data.id }, request());
    expect(page).toMatchObject({ kind: "ok", data: { id: project.data.id, documents: [{ name: "hello.txt", status: "pending_scan" }] } });

    await asUser(null);
    expect((await post(project.data.id, "anonymous\n", "anon.txt")).status).toBe(401);
    expect((await readdir(path.join(root, "quarantine", org.id))).length).toBe(1);
  });

  it("the upload class limits a user's uploads (RL-1): 429 with Retry-After, nothing stored", async () => {
    const org = await createOrg("Acme");
    const user = await createUser([{ orgId: org.id, role: "member" }]);
    const { token, session } = await signIn(user, { ...org, role: "member" });
    const project = await createProject(session, { name: "Files" }, request());
    if (!project.ok) throw new Error("setup");
    await asUser(token);
    const { RATE_LIMIT_CLASSES } = await import("@/lib/ratelimit");
    let last: Response | undefined;
    // Refused uploads (an empty file) still count: the limit is checked before a byte is read.
    for (let i = 0; i <= RATE_LIMIT_CLASSES.upload.limit; i++) last = await post(project.data.id, "", "empty.txt");
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await readdir(path.join(root, "quarantine", org.id)).catch(() => [])).toEqual([]);
  });

  it("the download action gives a signed attachment link for a clean document only (FILE-2, FILE-3)", async () => {
    const org = await createOrg("Acme");
    const user = await createUser([{ orgId: org.id, role: "member" }]);
    const { token, session } = await signIn(user, { ...org, role: "member" });
    const project = await createProject(session, { name: "Files" }, request());
    if (!project.ok) throw new Error("setup");
    await asUser(token);
    const content = "downloadable once clean\n";
    const uploaded = (await (await post(project.data.id, content, "ready.txt")).json()) as { id: string };
    const form = new FormData();
    form.set("id", uploaded.id);

    // Pending (no scanner here): no link, and the reason says why.
    expect(await downloadDocumentAction({ ok: null }, form)).toEqual({ ok: false, message: "This document is not available for download: pending scan." });

    // What a clean verdict does (lib/documents/scan.ts), done as the owner: promoted, marked clean.
    const storage = new LocalStorage(root);
    await storage.promote(storageKey("quarantine", org.id, uploaded.id), storageKey("files", org.id, uploaded.id));
    await (await ownerDb()).query("update public.documents set status = 'clean', storage_key = $2 where id = $1", [uploaded.id, storageKey("files", org.id, uploaded.id)]);
    const state = await downloadDocumentAction({ ok: null }, form);
    expect(state).toMatchObject({ ok: true, message: "Your download is starting." });
    const link = new URL(state.url!);
    expect(link.pathname).toBe("/api/documents/download");
    const res = await downloadRoute(new Request(link));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await res.text()).toBe(content);

    // Infected: the row is blocked and the action refuses again.
    await (await ownerDb()).query("update public.documents set status = 'infected', storage_key = null where id = $1", [uploaded.id]);
    expect(await downloadDocumentAction({ ok: null }, form)).toEqual({ ok: false, message: "This document is not available for download: infected (blocked)." });
  });

  it("an admin asks for a new scan of a pending document (a fresh scan job once none is live); a member cannot; a decided one is refused", async () => {
    const org = await createOrg("Acme");
    const adminUser = await createUser([{ orgId: org.id, role: "admin" }]);
    const memberUser = await createUser([{ orgId: org.id, role: "member" }]);
    const admin = await signIn(adminUser, { ...org, role: "admin" });
    const member = await signIn(memberUser, { ...org, role: "member" });
    const project = await createProject(member.session, { name: "Files" }, request());
    if (!project.ok) throw new Error("setup");
    await asUser(member.token);
    const { id } = (await (await post(project.data.id, "scan me again\n", "again.txt")).json()) as { id: string };
    const scanJobs = async () =>
      Number(
        (
          await (await ownerDb()).query<{ n: string }>("select count(*) as n from public.jobs where org_id = $1 and kind = 'documents.scan' and payload->>'documentId' = $2", [
            org.id,
            id,
          ])
        )[0]!.n,
      );
    const form = new FormData();
    form.set("id", id);
    expect(await scanJobs()).toBe(1);

    expect(await rescanDocumentAction({ ok: null }, form)).toEqual({ ok: false, message: "Only organisation admins and owners can do this." });
    expect(await scanJobs()).toBe(1);

    await asUser(admin.token);
    // The upload's scan job is still waiting: it decides, and no second live job is made (FILE-2: one per document).
    expect(await rescanDocumentAction({ ok: null }, form)).toEqual({ ok: true, message: "A new virus scan was requested." });
    expect(await scanJobs()).toBe(1);
    // Once that job has died (the scanner was down through its last attempt), the admin's request makes a fresh one.
    await (await ownerDb()).query("update public.jobs set state = 'dead', finished_at = now() where org_id = $1 and kind = 'documents.scan' and payload->>'documentId' = $2", [org.id, id]);
    await asUser(admin.token);
    expect(await rescanDocumentAction({ ok: null }, form)).toEqual({ ok: true, message: "A new virus scan was requested." });
    expect(await scanJobs()).toBe(2);

    await (await ownerDb()).query("update public.documents set status = 'infected', storage_key = null where id = $1", [id]);
    expect(await rescanDocumentAction({ ok: null }, form)).toEqual({ ok: false, message: "This document's scan has already decided: infected (blocked)." });
    expect(await scanJobs()).toBe(2);
  });
});
