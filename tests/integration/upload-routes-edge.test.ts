import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startRequest } from "../helpers/next-request";

// FILE-1: the two upload routes are outside the proxy (proxy.ts's matcher), so their bodies stream instead of being
// buffered by Next.js; they run the edge pipeline themselves (edgeForRoute). These tests call the real route
// handlers with real Requests, a real embedded-IdP session cookie, real storage in a temporary directory.
vi.mock("next/headers", () => import("../helpers/next-request"));

const { closeDb } = await import("@/lib/db");
const { LocalStorage } = await import("@/lib/files");
const { useDocumentServices } = await import("@/lib/documents/services");
const { createProject } = await import("@/lib/projects");
const { grantProjectAccess } = await import("@/lib/grants");
const { SESSION_COOKIE_NAME } = await import("@/lib/auth/cookie-name");
const dashboardRoute = await import("@/app/api/documents/upload/route");
const partnerRoute = await import("@/app/api/v1/projects/[id]/documents/route");
const { newKey } = await import("../helpers/api");
const { createUser, orgWithMembers, request: context, signIn } = await import("../helpers/tenants");

const APP = "http://localhost:3000"; // APP_URL in vitest.config.ts
const EVIL = "https://evil.example";

let root: string;
let t: { orgId: string; projectId: string; key: string; cookie: string };

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tg-upload-edge-"));
  useDocumentServices({ storage: new LocalStorage(root), scanner: null });
  const org = await orgWithMembers("Acme");
  const project = await createProject(org.admin, { name: "Files" }, context());
  if (!project.ok) throw new Error("setup");
  const key = await newKey(org.admin);
  const member = await createUser([{ orgId: org.org.id, role: "member" }]);
  const { token } = await signIn(member, { ...org.org, role: "member" });
  // TEN-7: members read projects by default; the uploader is an editor of this one.
  const editor = await grantProjectAccess(org.admin, { projectId: project.data.id, email: `${member}@example.test`, role: "editor", expiresInDays: "" }, context());
  if (!editor.ok) throw new Error("setup");
  t = { orgId: org.org.id, projectId: project.data.id, key: key.plaintext, cookie: `${SESSION_COOKIE_NAME}=${token}` };
});
afterAll(async () => {
  useDocumentServices({});
  await rm(root, { recursive: true, force: true });
  await closeDb();
});

const dashboardUrl = () => `${APP}/api/documents/upload?projectId=${t.projectId}`;
const partnerUrl = () => `${APP}/api/v1/projects/${t.projectId}/documents`;
const partnerParams = () => ({ params: Promise.resolve({ id: t.projectId }) });

async function dashboardPost(headers: Record<string, string>, body: BodyInit = "hello\n") {
  // next/headers (getSession's cookies()) sees what the request carries.
  if (headers.cookie) await asMember();
  else startRequest({});
  return dashboardRoute.POST(new Request(dashboardUrl(), { method: "POST", headers, body }));
}

async function asMember() {
  const { nextRequest } = await import("../helpers/next-request");
  startRequest({ cookie: t.cookie });
  nextRequest.cookies.set(SESSION_COOKIE_NAME, { value: t.cookie.split("=")[1]!, options: {} });
}

async function problemCode(res: Response) {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return ((await res.json()) as { code: string }).code;
}

function expectEdgeHeaders(res: Response, what: string) {
  const h = res.headers;
  expect(h.get("x-content-type-options"), `${what}: nosniff`).toBe("nosniff");
  expect(h.get("x-frame-options"), `${what}: X-Frame-Options`).toBe("DENY");
  expect(h.get("referrer-policy"), `${what}: Referrer-Policy`).toBe("strict-origin-when-cross-origin");
  expect(h.get("cross-origin-resource-policy"), `${what}: CORP`).toBe("same-origin");
  expect(h.get("permissions-policy"), `${what}: Permissions-Policy`).toContain("camera=()");
  expect(h.get("content-security-policy"), `${what}: CSP`).toMatch(/script-src [^;]*'nonce-[A-Za-z0-9+/=]{16,}'/);
  expect(h.get("content-security-policy"), `${what}: frame-ancestors`).toContain("frame-ancestors 'none'");
  expect(h.get("reporting-endpoints"), `${what}: Reporting-Endpoints`).toBe('csp-endpoint="/api/csp-report"');
  expect(h.get("x-request-id"), `${what}: X-Request-ID`).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
}

describe("the upload routes run the edge pipeline themselves (FILE-1, HDR-1..4)", () => {
  it("the dashboard upload refuses a cross-site POST, a missing or oversized Content-Length and an anonymous caller, with every security header", async () => {
    await asMember();
    const browser = { cookie: t.cookie, "content-type": "text/plain", "x-file-name": "a.txt" };
    const cases: [string, Record<string, string>, number, string][] = [
      ["cross-site, with the session cookie", { ...browser, origin: EVIL, "content-length": "6" }, 403, "csrf_origin_mismatch"],
      ["no Origin or Referer, with the session cookie", { ...browser, "content-length": "6" }, 403, "csrf_origin_mismatch"],
      ["no Content-Length", { ...browser, origin: APP }, 411, "length_required"],
      ["a declared length over MAX_UPLOAD_BYTES", { ...browser, origin: APP, "content-length": String(25 * 1024 * 1024 + 1) }, 413, "payload_too_large"],
      ["no session cookie", { "content-type": "text/plain", "x-file-name": "a.txt", origin: APP, "content-length": "6" }, 401, "unauthenticated"],
    ];
    for (const [what, headers, status, code] of cases) {
      const res = await dashboardPost(headers);
      expect(res.status, what).toBe(status);
      expect(await problemCode(res), what).toBe(code);
      expectEdgeHeaders(res, what);
    }
    expect(await readdir(path.join(root, "quarantine", t.orgId)).catch(() => [])).toEqual([]);

    // The same request from our own page is served, and the route's own answer carries the headers too.
    await asMember();
    const served = await dashboardPost({ ...browser, origin: APP, "content-length": "6", "x-request-id": "client-chosen-id-1" });
    expect(served.status).toBe(201);
    expectEdgeHeaders(served, "201");
    expect(served.headers.get("x-request-id")).toBe("client-chosen-id-1");
    // CORS_ORIGINS is empty in tests: no cross-origin read of a cookie route.
    expect(served.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("the partner upload refuses a missing or oversized Content-Length before the key is read, answers CORS for any origin, and its responses carry every security header", async () => {
    const post = (headers: Record<string, string>, body: BodyInit = "a,b\n1,2\n") =>
      partnerRoute.POST(new Request(partnerUrl(), { method: "POST", headers: { "content-type": "text/csv", "x-file-name": "t.csv", ...headers }, body }), partnerParams());

    const missing = await post({ authorization: "Bearer not-even-a-key" });
    expect(missing.status).toBe(411);
    expect(await problemCode(missing)).toBe("length_required");
    expectEdgeHeaders(missing, "411");
    const over = await post({ authorization: `Bearer ${t.key}`, "content-length": String(25 * 1024 * 1024 + 1) });
    expect(over.status).toBe(413);
    expect(await problemCode(over)).toBe("payload_too_large");
    expectEdgeHeaders(over, "413");

    // Bearer keys are not CSRF-able: a cross-site origin (even with a cookie) is served, with `*` and no credentials.
    const served = await post({ authorization: `Bearer ${t.key}`, "content-length": "8", origin: EVIL, cookie: t.cookie, "x-request-id": "partner-req-0001" });
    expect(served.status).toBe(201);
    expectEdgeHeaders(served, "201");
    expect(served.headers.get("access-control-allow-origin")).toBe("*");
    expect(served.headers.get("access-control-allow-credentials")).toBeNull();
    expect(served.headers.get("access-control-expose-headers")).toContain("RateLimit-Remaining");
    // One request id: the one the edge accepted is the one the handler logged and answered with.
    expect(served.headers.get("x-request-id")).toBe("partner-req-0001");
    expect(((await served.json()) as { status: string }).status).toBe("pending_scan");

    const bad = await post({ authorization: "Bearer tg_live_nope", "content-length": "8", "x-request-id": "bad id with spaces" });
    expect(bad.status).toBe(401);
    expectEdgeHeaders(bad, "401");
    expect(bad.headers.get("x-request-id")).not.toBe("bad id with spaces");
    expect(((await bad.json()) as { requestId: string }).requestId).toBe(bad.headers.get("x-request-id"));
  });

  it("every other method on the two paths gets the same pipeline: preflight, listing, 405 and 401 with the headers", async () => {
    const preflight = await partnerRoute.OPTIONS(
      new Request(partnerUrl(), { method: "OPTIONS", headers: { origin: EVIL, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type, x-file-name" } }),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("x-file-name");
    expectEdgeHeaders(preflight, "preflight");

    const list = await partnerRoute.GET(new Request(partnerUrl(), { headers: { authorization: `Bearer ${t.key}` } }), partnerParams());
    expect(list.status).toBe(200);
    expectEdgeHeaders(list, "GET list");
    const put = await partnerRoute.PUT(new Request(partnerUrl(), { method: "PUT", headers: { authorization: `Bearer ${t.key}` } }));
    expect(put.status).toBe(405);
    expectEdgeHeaders(put, "PUT");

    startRequest({});
    const anonymous = await dashboardRoute.GET(new Request(dashboardUrl()));
    expect(anonymous.status).toBe(401);
    expectEdgeHeaders(anonymous, "anonymous GET");
    await asMember();
    const get = await dashboardRoute.GET(new Request(dashboardUrl(), { headers: { cookie: t.cookie } }));
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expectEdgeHeaders(get, "GET");
    const crossSitePreflight = await dashboardRoute.OPTIONS(new Request(dashboardUrl(), { method: "OPTIONS", headers: { origin: EVIL, "access-control-request-method": "POST" } }));
    expect(crossSitePreflight.status).toBe(403);
    expect(await problemCode(crossSitePreflight)).toBe("cors_origin_not_allowed");
  });
});

describe("uploads stream (FILE-1)", () => {
  const MiB = 1024 * 1024;
  const TOTAL = 4 * MiB; // more than Next.js's proxy buffer (proxyClientMaxBodySize, 1 MiB) and than one chunk
  // CSV text (validated to its end); a different line per upload, or the second would be a duplicate (FILE-4).
  const chunkOf = (line: string) => Buffer.from(line.repeat(Math.ceil((256 * 1024) / line.length))).subarray(0, 256 * 1024);

  /** Bytes of the partial quarantine file (`.part`) of this org, while the upload is being written. */
  async function bytesInQuarantine(): Promise<number> {
    const dir = path.join(root, "quarantine", t.orgId);
    const names = await readdir(dir).catch(() => [] as string[]);
    let most = 0;
    for (const name of names.filter((n) => n.endsWith(".part"))) most = Math.max(most, (await stat(path.join(dir, name)).catch(() => ({ size: 0 }))).size);
    return most;
  }

  /**
   * A body the client sends in two halves: the second only once the first has reached quarantine on disk. A route
   * that read the whole body before writing (or a buffering layer in between) never lets the first half arrive,
   * and the upload fails here instead of completing.
   */
  function halfThenRest(line: string): { body: ReadableStream<Uint8Array>; sawFirstHalfOnDisk: () => number } {
    const chunk = chunkOf(line);
    let sent = 0;
    let seen = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === TOTAL / 2) {
          const deadline = Date.now() + 15_000;
          while ((seen = await bytesInQuarantine()) < TOTAL / 4) {
            if (Date.now() > deadline) {
              controller.error(new Error(`only ${seen} bytes reached quarantine while the client held back the second half`));
              return;
            }
            await new Promise((r) => setTimeout(r, 20));
          }
        }
        if (sent >= TOTAL) return controller.close();
        controller.enqueue(new Uint8Array(chunk));
        sent += chunk.byteLength;
      },
    });
    return { body, sawFirstHalfOnDisk: () => seen };
  }

  it("a partner upload reaches quarantine while the client is still sending, and completes with every byte", async () => {
    const { body, sawFirstHalfOnDisk } = halfThenRest("alpha,beta,gamma,delta\n");
    const res = await partnerRoute.POST(
      new Request(partnerUrl(), {
        method: "POST",
        headers: { authorization: `Bearer ${t.key}`, "content-type": "text/csv", "x-file-name": "stream.csv", "content-length": String(TOTAL) },
        body,
        duplex: "half",
      } as RequestInit),
      partnerParams(),
    );
    expect(res.status).toBe(201);
    expect(sawFirstHalfOnDisk()).toBeGreaterThanOrEqual(TOTAL / 4);
    expect(((await res.json()) as { sizeBytes: number }).sizeBytes).toBe(TOTAL);
  });

  it("a dashboard upload reaches quarantine while the browser is still sending, and completes with every byte", async () => {
    await asMember();
    const { body, sawFirstHalfOnDisk } = halfThenRest("one,two,three\n");
    const res = await dashboardRoute.POST(
      new Request(dashboardUrl(), {
        method: "POST",
        headers: { origin: APP, cookie: t.cookie, "content-type": "text/csv", "x-file-name": "stream-2.csv", "content-length": String(TOTAL) },
        body,
        duplex: "half",
      } as RequestInit),
    );
    expect(res.status).toBe(201);
    expect(sawFirstHalfOnDisk()).toBeGreaterThanOrEqual(TOTAL / 4);
  });
});
