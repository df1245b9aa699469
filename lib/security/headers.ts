/**
 * HDR-1 / HDR-2: the security headers every response carries, and the per-request nonce CSP.
 * Pure functions (no env import) so the proxy, next.config and tests share one definition.
 */

export const CSP_REPORT_PATH = "/api/csp-report";
export const CSP_REPORT_GROUP = "csp-endpoint";

export interface CspOptions {
  nonce: string;
  production: boolean;
  /** Clerk's Frontend API origin, only when Clerk is configured (e.g. https://clerk.example.com). */
  clerkOrigin?: string;
  /** BIL-2: Mux is configured: its stream hosts for <video>, and its direct-upload host for the browser's PUT. */
  mux?: boolean;
}

/**
 * HDR-1: powerful features no page of ours uses, denied to every frame. Only features Chromium recognises: it
 * warns in every page's console about an unknown one (`bluetooth` is not a Permissions-Policy feature there; Web
 * Bluetooth is gated by its own permission prompt). tests/unit/security-headers.test.ts checks the list against
 * Chromium's own, tests/e2e/browser-security.e2e.ts that the browser prints no Permissions-Policy warning.
 */
export const DENIED_FEATURES = [
  "camera",
  "microphone",
  "geolocation",
  "payment",
  "usb",
  "serial",
  "hid",
  "midi",
  "magnetometer",
  "gyroscope",
  "accelerometer",
  "display-capture",
  "interest-cohort",
  "browsing-topics",
] as const;
const PERMISSIONS_POLICY = DENIED_FEATURES.map((feature) => `${feature}=()`).join(", ");

/** HDR-1: static headers, on pages, API routes, redirects, errors and static files alike. */
export function staticSecurityHeaders(production: boolean): Record<string, string> {
  return {
    ...(production ? { "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload" } : {}),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-DNS-Prefetch-Control": "off",
    "X-Permitted-Cross-Domain-Policies": "none",
  };
}

/**
 * HDR-2: scripts only with this request's nonce (and what they load, via 'strict-dynamic'); no 'unsafe-inline'
 * or 'unsafe-eval' for scripts in production (development needs eval for React's debugging tools).
 * Provider origins are added only when that provider is configured.
 */
export function contentSecurityPolicy({ nonce, production, clerkOrigin, mux }: CspOptions): string {
  const clerk = clerkOrigin ? [clerkOrigin] : [];
  // Mux's documented CSP: streams and their segments from *.mux.com; direct uploads go to Google Cloud Storage.
  const muxMedia = mux ? ["https://*.mux.com"] : [];
  const directives: Record<string, string[]> = {
    "default-src": ["'self'"],
    "script-src": ["'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(production ? [] : ["'unsafe-eval'"]), ...clerk],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:", ...(clerkOrigin ? ["https://img.clerk.com"] : [])],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'", ...clerk, ...muxMedia, ...(mux ? ["https://storage.googleapis.com"] : [])],
    ...(mux ? { "media-src": ["'self'", "blob:", ...muxMedia] } : {}),
    "frame-src": clerkOrigin ? ["https://challenges.cloudflare.com"] : ["'none'"],
    "worker-src": ["'self'", "blob:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "report-uri": [CSP_REPORT_PATH],
    "report-to": [CSP_REPORT_GROUP],
  };
  const policy = Object.entries(directives).map(([name, values]) => `${name} ${values.join(" ")}`);
  if (production) policy.push("upgrade-insecure-requests");
  return policy.join("; ");
}

/**
 * HDR-2: the Reporting API endpoint that `report-to` names, as a path like `report-uri`'s. Browsers resolve it
 * against the origin of the response that carried it (the Reporting API spec; Chromium resolves a path-absolute
 * endpoint against the header's origin), so reports go back to whichever origin served the page: a preview host,
 * a second domain, a port other than APP_URL's. No origin is built here on purpose: the alternative, the Host
 * header (what `request.nextUrl` is made from), is written by the client, and a shared cache that stored a
 * response made for `Host: evil.example` would send other visitors' reports, with their page URLs, there.
 */
export function reportingEndpoints(): string {
  return `${CSP_REPORT_GROUP}="${CSP_REPORT_PATH}"`;
}

export function newNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64");
}
