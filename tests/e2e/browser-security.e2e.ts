import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { chromium, type Browser } from "playwright-core";
import { startApp } from "./server";

// HDR-1..4 against the production build (`next build && next start`), in Debian's Chromium where a browser matters.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const ALLOWED = "https://admin.example.com";

let app: Awaited<ReturnType<typeof startApp>>;
let browser: Browser;

before(async () => {
  app = await startApp(3101, { CORS_ORIGINS: ALLOWED });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

function assertSecurityHeaders(res: Response, what: string, { csp = true } = {}) {
  const h = res.headers;
  assert.equal(h.get("strict-transport-security"), "max-age=63072000; includeSubDomains; preload", `${what}: HSTS`);
  assert.equal(h.get("x-content-type-options"), "nosniff", `${what}: nosniff`);
  assert.equal(h.get("x-frame-options"), "DENY", `${what}: X-Frame-Options`);
  assert.equal(h.get("referrer-policy"), "strict-origin-when-cross-origin", `${what}: Referrer-Policy`);
  const permissions = h.get("permissions-policy") ?? "";
  for (const feature of ["camera", "microphone", "geolocation", "payment", "usb"]) {
    assert.ok(permissions.includes(`${feature}=()`), `${what}: Permissions-Policy denies ${feature}`);
  }
  assert.ok(!permissions.includes("bluetooth"), `${what}: no feature Chromium does not recognise`);
  assert.equal(h.get("cross-origin-opener-policy"), "same-origin", `${what}: COOP`);
  assert.equal(h.get("x-powered-by"), null, `${what}: no X-Powered-By`);
  if (!csp) return;
  assert.ok(h.get("x-request-id"), `${what}: X-Request-ID`);
  const policy = h.get("content-security-policy") ?? "";
  const scriptSrc = policy.split(";").map((d) => d.trim()).find((d) => d.startsWith("script-src ")) ?? "";
  assert.match(scriptSrc, /'nonce-[A-Za-z0-9+/=]{16,}'/, `${what}: script nonce`);
  assert.ok(scriptSrc.includes("'strict-dynamic'"), `${what}: strict-dynamic`);
  assert.ok(!scriptSrc.includes("'unsafe-inline'") && !scriptSrc.includes("'unsafe-eval'"), `${what}: no unsafe script sources`);
  for (const directive of ["frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "report-uri /api/csp-report", "report-to csp-endpoint"]) {
    assert.ok(policy.includes(directive), `${what}: ${directive}`);
  }
  assert.equal(h.get("reporting-endpoints"), 'csp-endpoint="/api/csp-report"', `${what}: reports go to the origin that served the page`);
}

/** A raw HTTP/1.1 request: the path is sent exactly as written (fetch and URL would normalise its escapes). */
function rawRequest(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const { hostname, port } = new URL(app.baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, method, path, headers: { connection: "close", ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("security headers on every kind of response (HDR-1, HDR-2)", () => {
  it("a page, an API route, a redirect, a 404, error responses and a static asset", async () => {
    const page = await fetch(`${app.baseUrl}/sign-in`);
    assert.equal(page.status, 200);
    assertSecurityHeaders(page, "page");

    const api = await fetch(`${app.baseUrl}/health/live`);
    assert.equal(api.status, 200);
    assertSecurityHeaders(api, "API route");

    const redirect = await fetch(`${app.baseUrl}/projects`, { redirect: "manual" });
    assert.equal(redirect.status, 307);
    assertSecurityHeaders(redirect, "redirect");

    const missing = await fetch(`${app.baseUrl}/no-such-page`);
    assert.equal(missing.status, 404);
    assertSecurityHeaders(missing, "404");

    const unauthenticated = await fetch(`${app.baseUrl}/api/session`);
    assert.equal(unauthenticated.status, 401);
    assertSecurityHeaders(unauthenticated, "401 problem");

    const tooLarge = await fetch(`${app.baseUrl}/api/session`, { method: "POST", body: "x".repeat(1024 * 1024 + 1) });
    assert.equal(tooLarge.status, 413);
    assertSecurityHeaders(tooLarge, "413 problem");

    const html = await page.text();
    const asset = html.match(/\/_next\/static\/[^"']+\.js/)?.[0];
    assert.ok(asset, "the page references a static script");
    const staticRes = await fetch(`${app.baseUrl}${asset}`);
    assert.equal(staticRes.status, 200);
    assertSecurityHeaders(staticRes, "static asset", { csp: false });
  });

  it("the nonce is fresh on every response and is the one on the page's scripts", async () => {
    const a = await fetch(`${app.baseUrl}/sign-in`);
    const b = await fetch(`${app.baseUrl}/sign-in`);
    const nonceOf = (res: Response) => /'nonce-([^']+)'/.exec(res.headers.get("content-security-policy") ?? "")?.[1];
    assert.notEqual(nonceOf(a), nonceOf(b));
    const html = await a.text();
    assert.ok(html.includes(`nonce="${nonceOf(a)}"`), "Next.js put the nonce on its scripts");
  });
});

describe("CSP in a real browser (HDR-2)", () => {
  it("the dashboard runs with zero violations; an injected inline script is blocked and reported", async () => {
    const context = await browser.newContext();
    await context.addInitScript(() => {
      const w = window as unknown as { __violations: string[] };
      w.__violations = [];
      document.addEventListener("securitypolicyviolation", (e) => w.__violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
    });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const policyWarnings: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy/i.test(m.text())) consoleErrors.push(m.text());
      // HDR-1: Chromium warns about every Permissions-Policy feature it does not recognise, on every page.
      if (/Permissions-Policy|Feature-Policy/i.test(m.text())) policyWarnings.push(m.text());
    });
    await page.goto(`${app.baseUrl}/sign-in`);
    await page.getByLabel("Email", { exact: true }).fill("alice@acme.test");
    await page.getByLabel("Password", { exact: true }).fill("demo-password-2026");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${app.baseUrl}/overview`);
    await page.goto(`${app.baseUrl}/projects`);
    await page.getByLabel("New project name").fill(`CSP check ${Date.now()}`);
    await page.getByRole("button", { name: "Create project" }).click();
    await page.getByText("Project created.").waitFor();
    for (const path of ["/account/sessions", "/settings/api-keys", "/docs/api", "/projects"]) {
      await page.goto(`${app.baseUrl}${path}`);
      await page.waitForLoadState("networkidle");
      const violations = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
      assert.deepEqual(violations, [], `no CSP violations on ${path}`);
    }
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(policyWarnings, [], "no Permissions-Policy warning on any page");

    // What a stored XSS would add: an inline script in the server's HTML, without this response's nonce.
    // The response is changed in flight. Its CSP is the app's own, less `report-to`: headless Chromium here
    // queues Reporting API reports without sending them (seen: nothing within 20 s even with
    // --short-reporting-delay), while with `report-to` absent it uses `report-uri` at once, to the same endpoint.
    // (Both report formats are parsed and stored: tests/integration/csp-report.test.ts.)
    await page.route(`${app.baseUrl}/docs/api`, async (route) => {
      const response = await route.fetch();
      const headers = response.headers();
      const csp = headers["content-security-policy"] ?? "";
      assert.match(csp, /report-uri \/api\/csp-report; report-to csp-endpoint/);
      const html = (await response.text()).replace("<body", '<body data-x="1"><script>window.__injected = true</script><img src="/x.png" onerror="window.__injected = true" hidden');
      await route.fulfill({ response, body: html, headers: { ...headers, "content-security-policy": csp.replace(/; report-to [^;]+/, "") } });
    });
    await page.goto(`${app.baseUrl}/docs/api`);
    await page.waitForLoadState("networkidle");
    const state = await page.evaluate(() => ({
      injected: (window as unknown as { __injected?: boolean }).__injected ?? false,
      violations: (window as unknown as { __violations: string[] }).__violations,
    }));
    assert.equal(state.injected, false, "the injected script did not run");
    assert.ok(state.violations.some((v) => v.startsWith("script-src")), `violation event fired: ${state.violations.join(", ")}`);

    // The browser reports it to /api/csp-report; the endpoint logs each stored report.
    const deadline = Date.now() + 20_000;
    while (!/"msg":"csp violation"/.test(app.logs()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    assert.match(app.logs(), /"directive":"script-src[^"]*"[^\n]*"msg":"csp violation"/, `a report arrived at the report endpoint. Server log:\n${app.logs().slice(-3000)}`);
    await context.close();
  });
});

describe("CORS (HDR-3)", () => {
  it("the partner API allows any origin, never with credentials", async () => {
    const preflight = await fetch(`${app.baseUrl}/api/v1/projects`, {
      method: "OPTIONS",
      headers: { origin: "https://partner.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
    assert.equal(preflight.headers.get("access-control-allow-credentials"), null);
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /Authorization/);
    const actual = await fetch(`${app.baseUrl}/api/v1/projects`, { headers: { origin: "https://partner.example" } });
    assert.equal(actual.headers.get("access-control-allow-origin"), "*");
    assert.equal(actual.headers.get("access-control-allow-credentials"), null);
  });

  it("cookie routes allow only CORS_ORIGINS, with credentials", async () => {
    const allowed = await fetch(`${app.baseUrl}/api/session`, { method: "OPTIONS", headers: { origin: ALLOWED, "access-control-request-method": "GET" } });
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get("access-control-allow-origin"), ALLOWED);
    assert.equal(allowed.headers.get("access-control-allow-credentials"), "true");

    const refused = await fetch(`${app.baseUrl}/api/session`, { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "GET" } });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get("access-control-allow-origin"), null);

    const read = await fetch(`${app.baseUrl}/api/session`, { headers: { origin: "https://evil.example" } });
    assert.equal(read.headers.get("access-control-allow-origin"), null);
  });
});

describe("CSRF (HDR-4)", () => {
  it("a cross-origin state-changing request with the session cookie is refused; server actions check Origin too", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/sign-in`);
    await page.getByLabel("Email", { exact: true }).fill("carol@globex.test");
    await page.getByLabel("Password", { exact: true }).fill("demo-password-2026");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${app.baseUrl}/overview`);
    await page.goto(`${app.baseUrl}/projects`);

    // Capture a genuine server-action request (create project) to replay it from other origins.
    const name = `CSRF original ${Date.now()}`;
    const captured = page.waitForRequest((r) => r.method() === "POST" && Boolean(r.headers()["next-action"]));
    await page.getByLabel("New project name").fill(name);
    await page.getByRole("button", { name: "Create project" }).click();
    const request = await captured;
    await page.getByRole("link", { name }).waitFor();
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const body = request.postData() ?? "";
    const replay = (origin: string | null) =>
      fetch(request.url(), {
        method: "POST",
        headers: {
          ...Object.fromEntries(Object.entries(request.headers()).filter(([k]) => !["origin", "referer", "cookie", "content-length"].includes(k))),
          cookie,
          ...(origin ? { origin } : {}),
        },
        body: body.replace(name, `CSRF replay ${origin}`),
      });

    // Our proxy refuses a foreign origin, a request with neither Origin nor Referer, and a CORS_ORIGINS origin:
    // CORS grants cross-origin API reads, never page writes (Next.js would refuse it too, but with a 500).
    for (const origin of ["https://evil.example", null, ALLOWED]) {
      const res = await replay(origin);
      assert.equal(res.status, 403, `origin ${origin}`);
      assert.equal(((await res.json()) as { code: string }).code, "csrf_origin_mismatch");
    }

    await page.reload();
    await page.getByRole("link", { name }).waitFor();
    assert.equal(await page.getByText("CSRF replay").count(), 0, "no replayed project was created");
    await context.close();
  });
});

describe("anonymous requests never produce a 500", () => {
  it("malformed escapes, refused methods, a cross-origin server action and a NUL in a CSP report each get a 4xx problem, and nothing is logged as an error", async () => {
    const logStart = app.logs().length;
    const problemOf = (res: { headers: http.IncomingHttpHeaders; text: string }, what: string) => {
      assert.equal(res.headers["content-type"], "application/problem+json", `${what}: problem+json`);
      return JSON.parse(res.text) as { status: number; code: string; title: string };
    };

    for (const path of ["/api/v1/projects/%ff%fe", "/%", "/%zz", "/projects/%ff", "/sign-in%", "/api/v1/documents/%00"]) {
      const res = await rawRequest("GET", path);
      assert.equal(res.status, 400, `GET ${path}`);
      assert.equal(problemOf(res, path).code, "malformed_request");
    }

    const asterisk = await rawRequest("OPTIONS", "*");
    assert.equal(asterisk.status, 400, "OPTIONS *");
    assert.equal(problemOf(asterisk, "OPTIONS *").code, "malformed_request");

    for (const method of ["TRACE", "PROPFIND"]) {
      for (const path of ["/", "/sign-in", "/api/v1/projects", "/health/live"]) {
        const res = await rawRequest(method, path);
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.equal(res.headers.allow, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS", `${method} ${path}: Allow`);
        assert.equal(problemOf(res, `${method} ${path}`).code, "method_not_allowed");
      }
    }

    for (const path of ["/sign-in", "/projects", "/"]) {
      const res = await rawRequest(
        "POST",
        path,
        { "next-action": "7f".padEnd(42, "0"), origin: "https://evil.example", "content-type": "text/plain;charset=UTF-8" },
        "[]",
      );
      assert.equal(res.status, 403, `cross-origin server action to ${path}`);
      assert.equal(problemOf(res, path).code, "csrf_origin_mismatch");
    }

    // A form posted to a page (a server action without JavaScript) whose body does not parse: Next.js would throw.
    for (const path of ["/sign-in", "/", "/docs/api"]) {
      const res = await rawRequest("POST", path, { origin: app.baseUrl, "content-type": "multipart/form-data; boundary=zz" }, "garbage");
      assert.equal(res.status, 400, `malformed form posted to ${path}`);
      assert.equal(problemOf(res, path).code, "malformed_request");
    }

    const marker = `nul-${Math.random().toString(36).replace(/[^a-z]/g, "")}`;
    const report = await rawRequest(
      "POST",
      "/api/csp-report",
      { "content-type": "application/csp-report" },
      JSON.stringify({ "csp-report": { "document-uri": `${app.baseUrl}/${marker}/\u0000x`, "violated-directive": "script-src\u0000", "blocked-uri": "inline" } }),
    );
    assert.equal(report.status, 204, `a CSP report with a NUL is stored sanitised: ${report.text}`);
    const malformed = await rawRequest("POST", "/api/csp-report", { "content-type": "application/csp-report" }, '{"csp-report":');
    assert.equal(malformed.status, 400);
    assert.equal(problemOf(malformed, "malformed CSP report").code, "malformed_report");

    const deadline = Date.now() + 5_000;
    while (!app.logs().slice(logStart).includes(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const log = app.logs().slice(logStart);
    assert.ok(log.includes('"msg":"csp violation"'), "the sanitised report was logged as a violation");
    const unexpected = log.split("\n").filter((line) => /"level":"(error|fatal)"|⨯|Error:|22P05|\bat /.test(line));
    assert.deepEqual(unexpected, [], `nothing unexpected in the server log:\n${log.slice(-3000)}`);
  });
});

describe("server actions with bodies Next.js cannot decode", () => {
  it("the sign-in action's real id with a malformed body gets a 4xx problem, and nothing is logged as an error", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/sign-in`);
    // The action id is public (it is in the page's scripts): capture a genuine, anonymous sign-in call.
    const captured = page.waitForRequest((r) => r.method() === "POST" && Boolean(r.headers()["next-action"]));
    await page.getByLabel("Email", { exact: true }).fill("nobody@example.test");
    await page.getByLabel("Password", { exact: true }).fill("wrong-password-2026");
    await page.getByRole("button", { name: "Sign in" }).click();
    const request = await captured;
    await context.close();
    const headers = Object.fromEntries(Object.entries(request.headers()).filter(([k]) => !["content-type", "content-length", "cookie"].includes(k)));
    const path = new URL(request.url()).pathname;

    const logStart = app.logs().length;
    const cases: [string, string, number][] = [
      ["text/plain;charset=UTF-8", "{{{", 400],
      ["text/plain;charset=UTF-8", "[".repeat(5000), 400],
      ["multipart/form-data; boundary=zz", "garbage", 400],
      ["multipart/form-data", "garbage", 400],
      ["application/json", "[", 415],
    ];
    for (const [type, body, status] of cases) {
      const res = await rawRequest("POST", path, { ...headers, "content-type": type, "content-length": String(Buffer.byteLength(body)) }, body);
      assert.equal(res.status, status, `${type} ${body.slice(0, 10)}`);
      assert.equal(res.headers["content-type"], "application/problem+json");
    }
    await new Promise((r) => setTimeout(r, 500));
    const log = app.logs().slice(logStart);
    const unexpected = log.split("\n").filter((line) => /"level":"(error|fatal)"|⨯|Error:|\bat /.test(line));
    assert.deepEqual(unexpected, [], `nothing unexpected in the server log:\n${log.slice(-3000)}`);
  });
});

describe("forms without JavaScript", () => {
  it("sign-in still works as a plain form post: the proxy's body check hands the body on to Next.js", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/sign-in`);
    await page.getByLabel("Email", { exact: true }).fill("alice@acme.test");
    await page.getByLabel("Password", { exact: true }).fill("demo-password-2026");
    const posted = page.waitForResponse((r) => r.request().method() === "POST");
    await page.getByRole("button", { name: "Sign in" }).click();
    const response = await posted;
    assert.ok(response.status() < 400, `the form post was served (status ${response.status()})`);
    await page.waitForURL(`${app.baseUrl}/overview`);
    await context.close();
  });
});
