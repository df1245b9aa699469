import { evidence, family } from "../types";

const E2E = "tests/e2e/browser-security.e2e.ts";
const PROXY = "tests/integration/proxy.test.ts";
const CHECKS = "tests/integration/controls-checks.test.ts";

export const HDR = family("HDR", [
  {
    id: "HDR-1",
    title: "Security headers on every response",
    description:
      "Every response, whether page, API, redirect, error or static file, carries `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` with `frame-ancestors 'none'`, a strict Referrer-Policy, a restrictive Permissions-Policy and cross-origin isolation headers, and in production HSTS for two years with subdomains and preload. `X-Powered-By` is never sent.",
    status: "implemented",
    implementation: ["lib/security/headers.ts", "lib/security/edge.ts", "proxy.ts", "next.config.ts"],
    evidence: [
      evidence(PROXY, "carries every security header (test mode)"),
      evidence(PROXY, "carries every security header, HSTS included (production)"),
      evidence(PROXY, "next.config's headers for static files are the proxy's headers"),
      evidence(PROXY, "Permissions-Policy names only features Chromium recognises"),
      evidence(E2E, "a page, an API route, a redirect, a 404, error responses and a static asset"),
      evidence(CHECKS, "security-headers passes on the proxy's own response"),
      evidence(CHECKS, "security-headers fails when a required header is missing"),
      evidence("tests/integration/security-txt.test.ts", "is public and carries the security headers of every response"),
    ],
  },
  {
    id: "HDR-2",
    title: "Nonce-based Content-Security-Policy and reports",
    description:
      "Each response gets a fresh nonce and a Content-Security-Policy that allows scripts only with that nonce (and what they load, through `strict-dynamic`), never `unsafe-inline`, and `unsafe-eval` only in development. Violation reports are collected by the app, stored as a bounded sample with URLs masked, and forwarded to Sentry when it is configured.",
    status: "implemented",
    implementation: ["lib/security/headers.ts", "lib/security/edge.ts", "proxy.ts", "lib/security/csp-reports.ts", "app/api/csp-report/route.ts"],
    evidence: [
      evidence(PROXY, "every response gets a fresh nonce, and the route sees the same nonce and policy the browser gets"),
      evidence(PROXY, "production: scripts only by nonce and strict-dynamic, never unsafe-inline or unsafe-eval"),
      evidence(PROXY, "reports go back to whichever origin served the page"),
      evidence(E2E, "the nonce is fresh on every response and is the one on the page's scripts"),
      evidence(E2E, "the dashboard runs with zero violations; an injected inline script is blocked and reported"),
      evidence("tests/integration/csp-report.test.ts", "stores report-uri and Reporting API reports, with secrets in URLs masked"),
      evidence(CHECKS, "security-headers fails when a required header is missing"),
    ],
  },
  {
    id: "HDR-3",
    title: "CORS by route kind",
    description:
      "The bearer-key partner API allows any origin without credentials; cookie-authenticated routes allow only the origins configured in `CORS_ORIGINS`, with credentials. A wildcard for credentialed routes is refused at start-up.",
    status: "implemented",
    implementation: ["lib/security/cors.ts", "lib/security/edge.ts", "proxy.ts", "lib/env.ts"],
    evidence: [
      evidence(PROXY, "the partner API allows any origin, never with credentials, on preflights and responses"),
      evidence(PROXY, "cookie routes answer CORS only for CORS_ORIGINS, with credentials and Vary: Origin"),
      evidence(E2E, "the partner API allows any origin, never with credentials"),
      evidence(E2E, "cookie routes allow only CORS_ORIGINS, with credentials"),
      evidence("tests/unit/env.test.ts", "refuses a wildcard CORS origin"),
    ],
  },
  {
    id: "HDR-4",
    title: "CSRF: Origin checked on state-changing cookie requests",
    description:
      "A state-changing request that carries the session cookie must come from TenantGuard's own origin (or a configured one), and a server action from TenantGuard's own origin whether or not it carries a cookie: Origin or Referer is checked before any route runs. The partner API ignores cookies, so it cannot be driven cross-site.",
    status: "implemented",
    implementation: ["lib/security/csrf.ts", "lib/security/edge.ts", "proxy.ts"],
    evidence: [
      evidence(PROXY, "CSRF (HDR-4)"),
      evidence(PROXY, "a server action from our own origin passes, signed in or not"),
      evidence(PROXY, "the bearer-key partner API and the CSP report endpoint are not subject to the cookie check"),
      evidence(E2E, "a cross-origin state-changing request with the session cookie is refused"),
    ],
  },
]);
