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
}

/** HDR-1: static headers, on pages, API routes, redirects, errors and static files alike. */
export function staticSecurityHeaders(production: boolean): Record<string, string> {
  return {
    ...(production ? { "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload" } : {}),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy":
      "camera=(), microphone=(), geolocation=(), payment=(), usb=(), bluetooth=(), serial=(), hid=(), midi=(), magnetometer=(), gyroscope=(), accelerometer=(), display-capture=(), interest-cohort=()",
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
export function contentSecurityPolicy({ nonce, production, clerkOrigin }: CspOptions): string {
  const clerk = clerkOrigin ? [clerkOrigin] : [];
  const directives: Record<string, string[]> = {
    "default-src": ["'self'"],
    "script-src": ["'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(production ? [] : ["'unsafe-eval'"]), ...clerk],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:", ...(clerkOrigin ? ["https://img.clerk.com"] : [])],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'", ...clerk],
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

/** The Reporting API endpoint that `report-to` names. */
export function reportingEndpoints(origin: string): string {
  return `${CSP_REPORT_GROUP}="${origin}${CSP_REPORT_PATH}"`;
}

export function newNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64");
}
