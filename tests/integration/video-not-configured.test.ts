import { afterAll, describe, expect, it, vi } from "vitest";
import { createElement } from "react";
import { renderToReadableStream } from "react-dom/server";
import { nextRequest, startRequest } from "../helpers/next-request";

// BIL-2 without Mux keys: the videos page says video is not configured and offers no upload; nothing asks Mux.
vi.mock("next/headers", () => import("../helpers/next-request"));
for (const name of ["MUX_TOKEN_ID", "MUX_TOKEN_SECRET", "MUX_SIGNING_KEY_ID", "MUX_SIGNING_PRIVATE_KEY", "MUX_API_URL"]) delete process.env[name];

const { closeDb } = await import("@/lib/db");
const { createProject } = await import("@/lib/projects");
const { createVideoUpload } = await import("@/lib/video");
const { SESSION_COOKIE_NAME } = await import("@/lib/auth/cookie-name");
const { contentSecurityPolicy } = await import("@/lib/security/headers");
const { default: VideosPage } = await import("@/app/(dashboard)/projects/[id]/videos/page");
const { AppRouterContext } = await import("next/dist/shared/lib/app-router-context.shared-runtime");
const { orgWithMembers, request, createUser, signIn, createOrg } = await import("../helpers/tenants");

afterAll(closeDb);

async function html(node: React.ReactNode): Promise<string> {
  const stream = await renderToReadableStream(node);
  await stream.allReady;
  return new Response(stream).text();
}

describe("video not configured (BIL-2)", () => {
  it("the videos page says video is not configured, shows no upload form, and an upload is refused", async () => {
    const org = await createOrg("NoMux");
    const user = await createUser([{ orgId: org.id, role: "member" }]);
    const { token, session } = await signIn(user, { ...org, role: "member" });
    const project = await createProject(session, { name: "Clips" }, request());
    if (!project.ok) throw new Error("setup");

    startRequest({ cookie: `${SESSION_COOKIE_NAME}=${token}` });
    nextRequest.cookies.set(SESSION_COOKIE_NAME, { value: token, options: {} });
    // Next.js's router context, as the App Router provides it (the upload form, were it rendered, reads it).
    const router = { back() {}, forward() {}, refresh() {}, push() {}, replace() {}, prefetch() {} };
    const page = await html(createElement(AppRouterContext.Provider, { value: router as never }, await VideosPage({ params: Promise.resolve({ id: project.data.id }) })));
    expect(page).toContain('data-testid="video-not-configured"');
    expect(page).toContain("Video is not configured");
    expect(page).not.toContain("Upload video");
    expect(page).not.toContain('type="file"');

    expect(await createVideoUpload(session, { projectId: project.data.id, title: "No Mux" }, request())).toMatchObject({
      ok: false,
      status: 503,
      message: "Video is not configured on this deployment.",
    });
  });

  it("another org's member gets a 404 for the videos page, configured or not", async () => {
    const a = await orgWithMembers("NoMuxA");
    const b = await orgWithMembers("NoMuxB");
    const project = await createProject(a.member, { name: "Secret" }, request());
    if (!project.ok) throw new Error("setup");
    expect(await VideosPage.readFor(b.member, { id: project.data.id }, request())).toEqual({ kind: "not_found" });
  });

  it("without Mux, the CSP names no Mux host; with it, only its media and upload hosts", () => {
    const off = contentSecurityPolicy({ nonce: "n", production: true });
    expect(off).not.toMatch(/mux\.com|googleapis/);
    expect(off).not.toContain("media-src");
    const on = contentSecurityPolicy({ nonce: "n", production: true, mux: true });
    expect(on).toContain("media-src 'self' blob: https://*.mux.com");
    expect(on).toMatch(/connect-src 'self' https:\/\/\*\.mux\.com https:\/\/storage\.googleapis\.com/);
  });
});
