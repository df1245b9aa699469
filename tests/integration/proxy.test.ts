import { beforeAll, describe, expect, it, vi } from "vitest";
import { NextRequest, type NextResponse } from "next/server";
import { createRequire } from "node:module";
import { createEdgeHandler, edgeForRoute, type EdgeHandler, type RouteEdge } from "@/lib/security/edge";
import { contentSecurityPolicy, DENIED_FEATURES, staticSecurityHeaders } from "@/lib/security/headers";
import { requestLineProblem, unrepresentableRequestProblem } from "@/lib/security/request-line.mjs";

// HDR-1..4 through the real proxy: the default export of proxy.ts, as Next.js calls it, given real NextRequests.
// Production is decided from NODE_ENV when proxy.ts loads (here: test); the production variant is the same
// pipeline built with `production: true` (lib/security/edge.ts), which proxy.ts builds from the environment.

const APP = "http://localhost:3000"; // APP_URL in vitest.config.ts
const ALLOWED = "https://admin.example.com";
const EVIL = "https://evil.example";
const SESSION = "tg_session=anything"; // the proxy checks presence only; lib/auth verifies on every request

let proxy: (request: NextRequest) => NextResponse | Promise<NextResponse>;
let productionEdge: EdgeHandler;

beforeAll(async () => {
  vi.stubEnv("CORS_ORIGINS", ALLOWED);
  vi.resetModules(); // lib/env.ts reads the environment when proxy.ts first imports it
  proxy = (await import("@/proxy")).default as typeof proxy;
  productionEdge = createEdgeHandler({ production: true, appOrigin: "https://app.example", corsOrigins: [ALLOWED] });
});

function request(path: string, init: { method?: string; headers?: Record<string, string>; base?: string } = {}) {
  return new NextRequest(`${init.base ?? APP}${path}`, { method: init.method ?? "GET", headers: init.headers });
}
// The proxy answers synchronously, except for a POST to a page (its body is parsed first: sendWithBody).
const send = (path: string, init?: Parameters<typeof request>[1]) => proxy(request(path, init)) as NextResponse;
const sendProduction = (path: string, init?: Parameters<typeof request>[1], signedIn = false) => productionEdge(request(path, init), signedIn) as NextResponse;
const sendWithBody = async (path: string, body: string, headers: Record<string, string>) =>
  proxy(new NextRequest(`${APP}${path}`, { method: "POST", headers: { origin: APP, ...headers }, body }));

/** Passed on to the route (NextResponse.next), rather than answered by the proxy. */
const passedOn = (res: Response) => res.headers.get("x-middleware-next") === "1";

async function problemOf(res: Response) {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = (await res.json()) as { type: string; title: string; status: number; code: string; detail: string };
  expect(body.status).toBe(res.status);
  expect(body.type).toBe(`https://tenantguard.dev/problems/${body.code}`);
  expect(body.title).toEqual(expect.any(String));
  return body;
}

function scriptSrcOf(res: Response) {
  const policy = res.headers.get("content-security-policy") ?? "";
  return policy.split(";").map((d) => d.trim()).find((d) => d.startsWith("script-src ")) ?? "";
}
const nonceOf = (res: Response) => /'nonce-([A-Za-z0-9+/=]{16,})'/.exec(scriptSrcOf(res))?.[1];

function expectSecurityHeaders(res: Response, what: string, production: boolean) {
  const h = res.headers;
  expect(h.get("x-content-type-options"), `${what}: nosniff`).toBe("nosniff");
  expect(h.get("x-frame-options"), `${what}: X-Frame-Options`).toBe("DENY");
  expect(h.get("referrer-policy"), `${what}: Referrer-Policy`).toBe("strict-origin-when-cross-origin");
  expect(h.get("cross-origin-opener-policy"), `${what}: COOP`).toBe("same-origin");
  expect(h.get("cross-origin-resource-policy"), `${what}: CORP`).toBe("same-origin");
  for (const feature of ["camera", "microphone", "geolocation", "payment", "usb"]) {
    expect(h.get("permissions-policy"), `${what}: Permissions-Policy denies ${feature}`).toContain(`${feature}=()`);
  }
  expect(h.get("strict-transport-security"), `${what}: HSTS in production only`).toBe(production ? "max-age=63072000; includeSubDomains; preload" : null);
  expect(h.get("x-request-id"), `${what}: X-Request-ID`).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
  expect(nonceOf(res), `${what}: a nonce CSP`).toBeTruthy();
  expect(h.get("content-security-policy"), `${what}: frame-ancestors`).toContain("frame-ancestors 'none'");
  expect(h.get("reporting-endpoints"), `${what}: Reporting-Endpoints`).toBe('csp-endpoint="/api/csp-report"');
}

// Every kind of answer the proxy gives: passed on (page, API), redirect, and each of its own refusals.
const KINDS: { what: string; path: string; init?: Parameters<typeof request>[1]; status: number | "next" }[] = [
  { what: "page", path: "/sign-in", status: "next" },
  { what: "partner API", path: "/api/v1/projects", status: "next" },
  { what: "cookie API route, signed in", path: "/api/session", init: { headers: { cookie: SESSION } }, status: "next" },
  { what: "redirect to sign-in", path: "/projects", status: 307 },
  { what: "401 problem", path: "/api/session", status: 401 },
  { what: "403 CSRF problem", path: "/api/session", init: { method: "POST", headers: { cookie: SESSION, origin: EVIL } }, status: 403 },
  { what: "403 CORS preflight", path: "/api/session", init: { method: "OPTIONS", headers: { origin: EVIL } }, status: 403 },
  { what: "413 problem", path: "/api/session", init: { method: "POST", headers: { "content-length": String(2 * 1024 * 1024) } }, status: 413 },
  { what: "405 problem", path: "/sign-in", init: { method: "PROPFIND" }, status: 405 },
  { what: "400 problem", path: "/api/v1/projects/%ff%fe", status: 400 },
];

describe("security headers on every response (HDR-1, HDR-2)", () => {
  it.each(KINDS)("$what carries every security header (test mode)", ({ path, init, status }) => {
    const res = send(path, init);
    if (status === "next") expect(passedOn(res)).toBe(true);
    else expect(res.status).toBe(status);
    expectSecurityHeaders(res, path, false);
  });

  it.each(KINDS)("$what carries every security header, HSTS included (production)", ({ path, init, status }) => {
    const signedIn = init?.headers?.cookie !== undefined;
    const res = sendProduction(path, init, signedIn);
    if (status === "next") expect(passedOn(res)).toBe(true);
    else expect(res.status).toBe(status);
    expectSecurityHeaders(res, path, true);
  });

  it("Permissions-Policy names only features Chromium recognises (no console warning on any page)", () => {
    const policy = send("/sign-in").headers.get("permissions-policy")!;
    const features = policy.split(",").map((entry) => entry.trim().replace(/=\(\)$/, ""));
    expect(features).toEqual([...DENIED_FEATURES]);
    expect(features).not.toContain("bluetooth");
    for (const feature of features) expect(CHROMIUM_PERMISSIONS_POLICY_FEATURES, feature).toContain(feature);
    expect(policy).toMatch(/^([a-z-]+=\(\))(, [a-z-]+=\(\))*$/);
  });

  it("next.config's headers for static files are the proxy's headers", () => {
    const res = sendProduction("/sign-in");
    for (const [name, value] of Object.entries(staticSecurityHeaders(true))) expect(res.headers.get(name), name).toBe(value);
  });
});

describe("nonce CSP (HDR-2)", () => {
  it("every response gets a fresh nonce, and the route sees the same nonce and policy the browser gets", () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = send("/sign-in");
      const nonce = nonceOf(res)!;
      nonces.add(nonce);
      // Next.js reads the nonce from the request's CSP header and puts it on the scripts it renders.
      expect(res.headers.get("x-middleware-request-content-security-policy")).toBe(res.headers.get("content-security-policy"));
      expect(res.headers.get("x-middleware-request-x-nonce")).toBe(nonce);
    }
    expect(nonces.size).toBe(20);
  });

  it("production: scripts only by nonce and strict-dynamic, never unsafe-inline or unsafe-eval", () => {
    const res = sendProduction("/sign-in");
    const scriptSrc = scriptSrcOf(res);
    expect(scriptSrc).toContain("'strict-dynamic'");
    expect(scriptSrc).toContain(`'nonce-${nonceOf(res)}'`);
    expect(scriptSrc).not.toContain("'unsafe-inline'");
    expect(scriptSrc).not.toContain("'unsafe-eval'");
    const policy = res.headers.get("content-security-policy")!;
    for (const directive of ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'", "upgrade-insecure-requests"]) {
      expect(policy).toContain(directive);
    }
  });

  it("test mode differs from production only by unsafe-eval for React's debugging tools", () => {
    const scriptSrc = scriptSrcOf(send("/sign-in"));
    expect(scriptSrc).toContain("'strict-dynamic'");
    expect(scriptSrc).not.toContain("'unsafe-inline'");
    expect(scriptSrc).toContain("'unsafe-eval'");
    expect(contentSecurityPolicy({ nonce: "n", production: false })).not.toContain("upgrade-insecure-requests");
  });

  it("reports go back to whichever origin served the page, never to an origin taken from the Host header", () => {
    for (const base of ["https://preview-42.example.net", "http://localhost:3104", APP]) {
      const res = send("/sign-in", { base, headers: { host: "evil.example", "x-forwarded-host": "evil.example" } });
      expect(res.headers.get("reporting-endpoints")).toBe('csp-endpoint="/api/csp-report"');
      expect(res.headers.get("content-security-policy")).toContain("report-uri /api/csp-report; report-to csp-endpoint");
    }
  });
});

describe("CORS (HDR-3)", () => {
  it("the partner API allows any origin, never with credentials, on preflights and responses", () => {
    const preflight = send("/api/v1/projects", { method: "OPTIONS", headers: { origin: "https://partner.example", "access-control-request-method": "POST" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
    expect(preflight.headers.get("access-control-allow-headers")).toContain("Authorization");
    const actual = send("/api/v1/projects", { headers: { origin: "https://partner.example" } });
    expect(actual.headers.get("access-control-allow-origin")).toBe("*");
    expect(actual.headers.get("access-control-allow-credentials")).toBeNull();
    expect(actual.headers.get("access-control-expose-headers")).toContain("RateLimit-Remaining");
  });

  it("cookie routes answer CORS only for CORS_ORIGINS, with credentials and Vary: Origin", () => {
    const allowed = send("/api/session", { method: "OPTIONS", headers: { origin: ALLOWED, "access-control-request-method": "GET" } });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
    expect(allowed.headers.get("vary")).toContain("Origin");
    const read = send("/api/session", { headers: { origin: ALLOWED, cookie: SESSION } });
    expect(passedOn(read)).toBe(true);
    expect(read.headers.get("access-control-allow-origin")).toBe(ALLOWED);
  });

  it.each([EVIL, "null", `${ALLOWED}.evil.example`, "http://admin.example.com"])("cookie routes give %s no CORS access", async (origin) => {
    const preflight = send("/api/session", { method: "OPTIONS", headers: { origin, "access-control-request-method": "GET" } });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect((await problemOf(preflight)).code).toBe("cors_origin_not_allowed");
    const read = send("/api/session", { headers: { origin, cookie: SESSION } });
    expect(read.headers.get("access-control-allow-origin")).toBeNull();
    expect(read.headers.get("access-control-allow-credentials")).toBeNull();
  });
});

describe("CSRF (HDR-4)", () => {
  it.each([
    ["a foreign Origin", { origin: EVIL }],
    ["no Origin and no Referer", {}],
    ["Origin null and no Referer", { origin: "null" }],
    ["a foreign Referer only", { referer: `${EVIL}/page` }],
    ["a look-alike origin", { origin: `${APP}.evil.example` }],
  ])("a state-changing cookie request with %s is refused", async (_what, headers: Record<string, string>) => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const res = send("/api/session", { method, headers: { cookie: SESSION, ...headers } });
      expect(res.status, method).toBe(403);
      expect((await problemOf(res)).code).toBe("csrf_origin_mismatch");
    }
  });

  it.each([
    ["our Origin", { origin: APP }],
    ["our Referer without Origin", { referer: `${APP}/projects` }],
    ["a CORS_ORIGINS origin", { origin: ALLOWED }],
  ])("a state-changing cookie request with %s passes", (_what, headers: Record<string, string>) => {
    expect(passedOn(send("/api/session", { method: "DELETE", headers: { cookie: SESSION, ...headers } }))).toBe(true);
  });

  it("the bearer-key partner API and the CSP report endpoint are not subject to the cookie check", () => {
    expect(passedOn(send("/api/v1/projects", { method: "POST", headers: { cookie: SESSION, origin: EVIL } }))).toBe(true);
    expect(passedOn(send("/api/csp-report", { method: "POST", headers: { origin: EVIL } }))).toBe(true);
  });

  it.each([
    ["anonymous, foreign Origin", { origin: EVIL }],
    ["with the session cookie, foreign Origin", { origin: EVIL, cookie: SESSION }],
    ["from a CORS_ORIGINS origin", { origin: ALLOWED, cookie: SESSION }],
    ["without Origin or Referer", {}],
  ])("a server action %s is refused with a 403 problem", async (_what, headers: Record<string, string>) => {
    for (const path of ["/sign-in", "/projects", "/"]) {
      const res = send(path, { method: "POST", headers: { "next-action": "7f".padEnd(42, "0"), "content-type": "text/plain;charset=UTF-8", ...headers } });
      expect(res.status, path).toBe(403);
      expect((await problemOf(res)).code).toBe("csrf_origin_mismatch");
    }
  });

  it("a server action from our own origin passes, signed in or not", async () => {
    const action = { "next-action": "7f".padEnd(42, "0"), "content-type": "text/plain;charset=UTF-8", "content-length": "2" };
    expect(passedOn(await sendWithBody("/sign-in", "[]", action))).toBe(true);
    expect(passedOn(await sendWithBody("/projects", "[]", { ...action, cookie: SESSION }))).toBe(true);
    // Behind a proxy that ends TLS, the browser's origin is APP_URL's while Next.js sees the inner URL.
    const behindTls = new NextRequest("http://10.0.0.7:3000/projects", { method: "POST", headers: { ...action, origin: "https://app.example", cookie: SESSION }, body: "[]" });
    expect(passedOn(await productionEdge(behindTls, true))).toBe(true);
  });
});

describe("session presence (proxy level; lib/auth verifies for real)", () => {
  it("an anonymous cookie-API request gets a 401 problem", async () => {
    const res = send("/api/session");
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe("unauthenticated");
  });

  it.each(["/projects", "/projects/prj_123", "/account/sessions", "/settings/api-keys"])("an anonymous visit to %s redirects to /sign-in with `next`", (path) => {
    const res = send(`${path}?tab=a%20b`);
    expect(res.status).toBe(307);
    const location = new URL(res.headers.get("location")!);
    expect(location.origin + location.pathname).toBe(`${APP}/sign-in`);
    expect(location.searchParams.get("next")).toBe(`${path}?tab=a%20b`);
  });

  it("public pages and the partner API are not redirected", () => {
    expect(passedOn(send("/sign-in"))).toBe(true);
    expect(passedOn(send("/docs/api"))).toBe(true);
    expect(passedOn(send("/api/v1/projects"))).toBe(true);
  });
});

describe("request lines Next.js cannot serve get a 4xx problem, never a 500", () => {
  it.each(["/api/v1/projects/%ff%fe", "/%", "/%zz", "/sign-in%", "/projects/%E2%9C", "/projects/%00", "/api/session/a%0Ab", "/api/v1/projects/%c0%af"])(
    "%s -> 400 problem",
    async (path) => {
      for (const res of [send(path), send(path, { headers: { cookie: SESSION } })]) {
        expect(res.status).toBe(400);
        expect((await problemOf(res)).code).toBe("malformed_request");
      }
    },
  );

  it("paths whose escapes decode (UTF-8, reserved characters) are served as before", () => {
    expect(send("/projects/%E2%9C%93").status).toBe(307);
    expect(passedOn(send("/api/v1/projects/prj%5F1%2Fx"))).toBe(true);
    expect(passedOn(send("/sign-in?next=%zz%ff"))).toBe(true); // queries are decoded leniently everywhere
  });

  it("a POST to a page (a server action, with or without JavaScript) whose body does not parse -> 4xx problem (Next.js would answer 500); a well-formed one passes", async () => {
    const multipart = "multipart/form-data; boundary=zz";
    const good = '--zz\r\ncontent-disposition: form-data; name="email"\r\n\r\na@b.test\r\n--zz--\r\n';
    for (const path of ["/sign-in", "/", "/docs/api"]) {
      const bad = await sendWithBody(path, "garbage", { "content-type": multipart, "content-length": "7" });
      expect(bad.status, path).toBe(400);
      expect((await problemOf(bad)).code).toBe("malformed_request");
      expectSecurityHeaders(bad, path, false);
      const noBoundary = await sendWithBody(path, good, { "content-type": "multipart/form-data", "content-length": String(good.length) });
      expect(noBoundary.status, path).toBe(400);
      const fine = await sendWithBody(path, good, { "content-type": multipart, "content-length": String(good.length) });
      expect(passedOn(fine), path).toBe(true);
      expectSecurityHeaders(fine, path, false);
      expect(passedOn(await sendWithBody(path, "email=a%40b.test", { "content-type": "application/x-www-form-urlencoded", "content-length": "16" }))).toBe(true);
    }
    const undeclared = await sendWithBody("/sign-in", good, { "content-type": multipart });
    expect(undeclared.status).toBe(411);
    expect((await problemOf(undeclared)).code).toBe("length_required");
    // Next.js's client sends an action's arguments as text (JSON) or, when they hold a form, as multipart.
    const action = { "next-action": "7f".padEnd(42, "0") };
    const text = { ...action, "content-type": "text/plain;charset=UTF-8" };
    for (const body of ["{{{", "[", '["unterminated']) {
      const res = await sendWithBody("/sign-in", body, { ...text, "content-length": String(body.length) });
      expect(res.status, body).toBe(400);
      expect((await problemOf(res)).code).toBe("malformed_request");
    }
    expect((await sendWithBody("/", "garbage", { ...action, "content-type": multipart, "content-length": "7" })).status).toBe(400);
    expect((await sendWithBody("/sign-in", "[]", text)).status).toBe(411);
    const json = await sendWithBody("/sign-in", "[]", { ...action, "content-type": "application/json", "content-length": "2" });
    expect(json.status).toBe(415);
    expect((await problemOf(json)).code).toBe("unsupported_media_type");
    expectSecurityHeaders(json, "415", false);
    expect(passedOn(await sendWithBody("/sign-in", '[{"email":"a@b.test"}]', { ...text, "content-length": "22" }))).toBe(true);
    expect(passedOn(await sendWithBody("/sign-in", good, { ...action, "content-type": multipart, "content-length": String(good.length) }))).toBe(true);
    // Not a form post to a page: left to the route (API handlers read bodies with their own limits and checks).
    expect(passedOn(await sendWithBody("/api/csp-report", "garbage", { "content-type": multipart, "content-length": "7" }))).toBe(true);
  });

  it.each(["PROPFIND", "MKCOL", "LOCK", "PURGE", "SEARCH", "QUERY"])("%s -> 405 problem with Allow", async (method) => {
    for (const path of ["/", "/sign-in", "/api/v1/projects", "/api/session"]) {
      const res = send(path, { method });
      expect(res.status, path).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
      expect((await problemOf(res)).code).toBe("method_not_allowed");
    }
  });

  it("TRACE, TRACK and CONNECT cannot even become a Request (Next.js would answer 500): the server entry refuses them with 405", () => {
    for (const method of ["TRACE", "TRACK", "CONNECT"]) {
      expect(() => new NextRequest(`${APP}/`, { method })).toThrow(TypeError);
      expect(unrepresentableRequestProblem(method, "/")).toMatchObject({ status: 405, code: "method_not_allowed" });
    }
    // The rest is the proxy's, so its answer carries every security header.
    expect(unrepresentableRequestProblem("PROPFIND", "/")).toBeNull();
    expect(unrepresentableRequestProblem("GET", "/%ff")).toBeNull();
    expect(unrepresentableRequestProblem("GET", "http://localhost:3000/sign-in")).toBeNull();
  });

  it("request targets that are not a path -> 400 (server entry); absolute-form URLs are checked like paths", () => {
    expect(unrepresentableRequestProblem("OPTIONS", "*")).toMatchObject({ status: 400 });
    expect(unrepresentableRequestProblem("GET", "sign-in")).toMatchObject({ status: 400 });
    expect(requestLineProblem("GET", "http://localhost:3000/%ff")).toMatchObject({ status: 400 });
    expect(requestLineProblem("GET", "http://localhost:3000/sign-in?x=%ff")).toBeNull();
    expect(requestLineProblem("GET", "/projects/%E2%9C%93?q=%zz")).toBeNull();
  });
});

/**
 * The features Chromium 156 recognises in Permissions-Policy: `document.featurePolicy.features()` in
 * /usr/bin/chromium (Debian 156.0.8078.114). A feature not in it is ignored with a console warning on every page.
 */
const CHROMIUM_PERMISSIONS_POLICY_FEATURES = [
  "accelerometer", "aria-notify", "autoplay", "browsing-topics", "camera", "captured-surface-control",
  "ch-device-memory", "ch-downlink", "ch-dpr", "ch-ect", "ch-prefers-color-scheme", "ch-prefers-reduced-motion",
  "ch-prefers-reduced-transparency", "ch-rtt", "ch-save-data", "ch-ua", "ch-ua-arch", "ch-ua-bitness",
  "ch-ua-form-factors", "ch-ua-full-version", "ch-ua-full-version-list", "ch-ua-high-entropy-values", "ch-ua-mobile",
  "ch-ua-model", "ch-ua-platform", "ch-ua-platform-version", "ch-ua-wow64", "ch-viewport-height",
  "ch-viewport-width", "ch-width", "clipboard-read", "clipboard-write", "compute-pressure", "cross-origin-isolated",
  "deferred-fetch", "deferred-fetch-minimal", "digital-credentials-create", "digital-credentials-get",
  "display-capture", "encrypted-media", "fullscreen", "gamepad", "geolocation", "gyroscope", "hid",
  "identity-credentials-get", "idle-detection", "interest-cohort", "keyboard-map", "language-detector",
  "language-model", "local-fonts", "local-network", "local-network-access", "loopback-network", "magnetometer",
  "media-playback-while-not-visible", "microphone", "midi", "on-device-speech-recognition", "otp-credentials",
  "payment", "picture-in-picture", "private-state-token-issuance", "private-state-token-redemption",
  "publickey-credentials-create", "publickey-credentials-get", "screen-wake-lock", "serial", "speaker-selection",
  "storage-access", "summarizer", "sync-xhr", "translator", "unload", "usb", "window-management",
  "xr-spatial-tracking",
];

// FILE-1 / FILE-3: what the edge lets through to the document routes. The two upload routes are outside the proxy
// (its matcher, below) and run the same pipeline in the route (edgeForRoute); everything else meets the proxy.
describe("document routes at the edge (FILE-1, FILE-3)", () => {
  const MiB = 1024 * 1024;
  const PROJECT = "/api/v1/projects/0b6f1f2e-8f6e-4c39-9a51-6f7c1c1f2a10";
  const upload = (path: string, headers: Record<string, string>) => send(path, { method: "POST", headers: { origin: APP, ...headers } });
  const config = { production: false, appOrigin: APP, corsOrigins: [], maxUploadBytes: 25 * MiB };
  const edge = createEdgeHandler(config);
  const post = (path: string, length: number, signedIn = false) =>
    request(path, { method: "POST", headers: { origin: APP, "content-length": String(length), ...(signedIn ? { cookie: SESSION } : {}) } });
  const passedInRoute = (res: Response | RouteEdge): res is RouteEdge => !(res instanceof Response);

  it("an upload may declare up to MAX_UPLOAD_BYTES; every other route at most 1 MiB", async () => {
    // The upload routes, in the route (edgeForRoute): up to MAX_UPLOAD_BYTES.
    expect(passedInRoute(await edgeForRoute(post(`${PROJECT}/documents`, 20 * MiB), config))).toBe(true);
    expect(passedInRoute(await edgeForRoute(post("/api/documents/upload", 20 * MiB, true), config))).toBe(true);
    const over = await edgeForRoute(post(`${PROJECT}/documents`, 25 * MiB + 1), config);
    expect(over instanceof Response && over.status).toBe(413);
    expect((await problemOf(over as Response)).detail).toContain(String(25 * MiB));
    const overDashboard = await edgeForRoute(post("/api/documents/upload", 25 * MiB + 1, true), config);
    expect(overDashboard instanceof Response && overDashboard.status).toBe(413);
    // Every other route, through the proxy: at most 1 MiB, whatever MAX_UPLOAD_BYTES is.
    const viaProxy = (path: string, length: number, signedIn = false) => edge(post(path, length, signedIn), signedIn) as NextResponse;
    expect(passedOn(viaProxy("/api/v1/projects", MiB))).toBe(true);
    expect(viaProxy("/api/v1/projects", 2 * MiB).status).toBe(413);
    expect(viaProxy(`${PROJECT}/documents/imports`, 2 * MiB).status).toBe(413);
    expect(viaProxy("/api/session", 2 * MiB, true).status).toBe(413);
    // And a route that only looks like an upload gets the 1 MiB rule in the route-level pipeline too.
    const lookalike = await edgeForRoute(post(`${PROJECT}/documents/imports`, 2 * MiB), config);
    expect(lookalike instanceof Response && lookalike.status).toBe(413);
  });

  it("an upload without a declared length is refused with 411 (Next.js would cut an undeclared long body short)", async () => {
    for (const path of [`${PROJECT}/documents`, "/api/documents/upload"]) {
      const res = await edgeForRoute(request(path, { method: "POST", headers: { origin: APP, authorization: "Bearer x", cookie: SESSION } }), config);
      expect(res instanceof Response && res.status, path).toBe(411);
      expect((await problemOf(res as Response)).code).toBe("length_required");
      expectSecurityHeaders(res as Response, path, false);
    }
    const declared = await edgeForRoute(request(`${PROJECT}/documents`, { method: "POST", headers: { authorization: "Bearer x", "content-length": "10" } }), config);
    expect(passedInRoute(declared)).toBe(true);
    // The proxy applies the same rule, should an upload path ever reach it (an escaped id, say).
    expect(upload(`${PROJECT}/documents`, { authorization: "Bearer x" }).status).toBe(411);
  });

  it("a signed download link works without a cookie; other cookie routes still answer 401", async () => {
    expect(passedOn(send("/api/documents/download?token=abc"))).toBe(true);
    const anonymousUpload = await edgeForRoute(request("/api/documents/upload", { method: "POST", headers: { origin: APP, "content-length": "10" } }), config);
    expect(anonymousUpload instanceof Response && anonymousUpload.status).toBe(401);
    expect(send("/api/session").status).toBe(401);
  });

  it("a browser partner client may send X-File-Name cross-origin (preflight)", async () => {
    const res = await edgeForRoute(
      request(`${PROJECT}/documents`, {
        method: "OPTIONS",
        headers: { origin: EVIL, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type, x-file-name" },
      }),
      config,
    );
    expect(res instanceof Response && res.status).toBe(204);
    expect((res as Response).headers.get("access-control-allow-headers")?.toLowerCase()).toContain("x-file-name");
  });

  it("the route-level pipeline hands on the same body stream with the accepted request id, and decorates the route's answer like the proxy", async () => {
    const body = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode("abc")), c.close()) });
    const incoming = new NextRequest(`${APP}${PROJECT}/documents`, { method: "POST", headers: { "content-length": "3", "x-request-id": "x" }, body, duplex: "half" } as ConstructorParameters<typeof NextRequest>[1]);
    const passed = await edgeForRoute(incoming, config);
    if (!passedInRoute(passed)) throw new Error("refused");
    expect(passed.request.headers.get("x-request-id")).toBe(passed.requestId);
    expect(passed.requestId).not.toBe("x"); // malformed ids are replaced (OBS-3)
    expect(await passed.request.text()).toBe("abc");
    const answered = passed.finish(Response.json({ ok: true }));
    expectSecurityHeaders(answered, "route answer", false);
    expect(answered.headers.get("x-request-id")).toBe(passed.requestId);
    expect(answered.headers.get("access-control-allow-origin")).toBe("*");
    const production = await edgeForRoute(new NextRequest(`${APP}${PROJECT}/documents`, { method: "PUT" }), { ...config, production: true });
    if (!passedInRoute(production)) throw new Error("refused");
    expectSecurityHeaders(production.finish(new Response(null, { status: 405 })), "production route answer", true);
  });
});

/**
 * FILE-1: proxy.ts's matcher, evaluated as Next.js evaluates it (next/dist: the build's getMiddlewareMatchers, the
 * server's getMiddlewareRouteMatcher, its parseUrl): the path as parsed (dot segments resolved) and, when it decodes,
 * decoded; the proxy runs when either matches.
 */
describe("the proxy runs for every path but the two upload routes (FILE-1)", () => {
  const require = createRequire(import.meta.url);
  const { getMiddlewareMatchers } = require("next/dist/build/analysis/get-page-static-info") as {
    getMiddlewareMatchers: (matchers: unknown, nextConfig: Record<string, unknown>) => unknown[];
  };
  const { getMiddlewareRouteMatcher } = require("next/dist/shared/lib/router/utils/middleware-route-matcher") as {
    getMiddlewareRouteMatcher: (matchers: unknown[]) => (pathname: string, req: unknown, query: unknown) => boolean;
  };
  const { parseUrl } = require("next/dist/shared/lib/router/utils/parse-url") as { parseUrl: (url: string) => { pathname: string } };

  let proxyRunsFor: (target: string) => boolean;
  beforeAll(async () => {
    const { config } = await import("@/proxy");
    const match = getMiddlewareRouteMatcher(getMiddlewareMatchers(config.matcher, {}));
    proxyRunsFor = (target) => {
      const { pathname } = parseUrl(target);
      let decoded = pathname;
      try {
        decoded = decodeURIComponent(pathname);
      } catch {
        // not decodable: only the raw path is matched
      }
      const req = { headers: {} };
      return match(pathname, req, {}) || match(decoded, req, {});
    };
  });

  const ID = "0b6f1f2e-8f6e-4c39-9a51-6f7c1c1f2a10";
  it.each([
    `/api/v1/projects/${ID}/documents`,
    `/api/v1/projects/${ID}/documents?cursor=x`,
    "/api/v1/projects/any-id/documents",
    "/api/documents/upload",
    "/api/documents/upload?projectId=x",
  ])("%s is left to the route's own pipeline", (target) => {
    expect(proxyRunsFor(target)).toBe(false);
  });

  it.each([
    // Same paths, another shape: a trailing slash, a suffix, a longer or shorter path.
    `/api/v1/projects/${ID}/documents/`,
    "/api/documents/upload/",
    `/api/v1/projects/${ID}/documents/imports`,
    `/api/v1/projects/${ID}/documents.json`,
    "/api/documents/upload.rsc",
    "/api/documents/uploads",
    `/api/v1/projects/${ID}/documentsx`,
    "/API/documents/upload",
    "/_next/data/build/api/documents/upload",
    // Dot segments and escapes: resolved by Next.js's URL parsing, or left with a `%` the proxy checks.
    `/api/v1/projects/${ID}/documents/../..`,
    `/api/v1/projects/${ID}/documents/..`,
    "/api/v1/projects/./documents",
    "/api/v1/projects/%2e%2e/documents",
    "/api/v1/projects/..%2Fdocuments/documents",
    "/api/v1/projects/x%2Fy/documents",
    `/api/v1/projects/${ID.replace("0", "%30")}/documents`,
    "/api/v1/projects/%ff%fe/documents",
    "/api/documents/upl%6Fad",
    // Everything else.
    "/api/v1/projects",
    `/api/v1/projects/${ID}`,
    "/api/v1/documents",
    `/api/v1/documents/${ID}/download-urls`,
    "/api/documents/download?token=x",
    "/api/session",
    "/api/graphql",
    "/api/csp-report",
    "/",
    "/sign-in",
    `/projects/${ID}`,
  ])("%s goes through the proxy", (target) => {
    expect(proxyRunsFor(target)).toBe(true);
  });

  it("Next.js buffers at most 1 MiB of a body that passes the proxy (proxyClientMaxBodySize), the most the edge lets those routes declare", async () => {
    const { default: nextConfig } = await import("@/next.config");
    const bytes = require("next/dist/compiled/bytes") as { parse: (value: string | number) => number };
    const limit = bytes.parse(nextConfig.experimental?.proxyClientMaxBodySize ?? 10 * 1024 * 1024);
    expect(limit).toBeLessThanOrEqual(1024 * 1024);
  });

  it("static assets stay outside the proxy, as before", () => {
    expect(proxyRunsFor("/_next/static/chunks/app.js")).toBe(false);
    expect(proxyRunsFor("/favicon.ico")).toBe(false);
  });

  it("the paths left out are exactly the upload routes the edge knows (a property over ids)", () => {
    for (const id of [ID, "a", "x.y", "...", "_", "a-b", "%41", ".", ".."]) {
      for (const path of [`/api/v1/projects/${id}/documents`, "/api/documents/upload"]) {
        const parsed = parseUrl(path).pathname;
        const outside = !proxyRunsFor(path);
        // Outside the proxy only when the parsed path is an upload route whose id has no escape.
        expect(outside, path).toBe(/^\/api\/(v1\/projects\/[^/%]+\/documents|documents\/upload)$/.test(parsed));
      }
    }
  });
});
