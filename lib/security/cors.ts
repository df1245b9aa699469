/**
 * HDR-3: two CORS regimes.
 * - The bearer-key partner API (/api/v1, /api/graphql): any origin, never credentials (cookies are ignored there).
 * - Everything cookie-authenticated: only the configured origins, with credentials.
 */
export const PARTNER_API_PREFIXES = ["/api/v1/", "/api/v1", "/api/graphql"];

export function isPartnerApi(pathname: string): boolean {
  return pathname === "/api/v1" || pathname.startsWith("/api/v1/") || pathname === "/api/graphql";
}

const PARTNER_ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Request-ID, X-File-Name";
const EXPOSED_HEADERS = "X-Request-ID, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, Idempotency-Replayed";

export function partnerCorsHeaders(): Record<string, string> {
  return {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": EXPOSED_HEADERS,
  };
}

export function partnerPreflightHeaders(): Record<string, string> {
  return {
    ...partnerCorsHeaders(),
    "Access-Control-Allow-Methods": "GET, POST, PATCH, PUT, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": PARTNER_ALLOWED_HEADERS,
    "Access-Control-Max-Age": "600",
  };
}

/** Headers for a cookie route: only for an allowed origin; otherwise none, and the browser blocks the read. */
export function cookieRouteCorsHeaders(origin: string | null, allowedOrigins: string[], preflight: boolean): Record<string, string> | null {
  if (!origin || !allowedOrigins.includes(origin)) return null;
  return {
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Allow-Credentials": "true",
    Vary: "Origin",
    ...(preflight
      ? {
          "Access-Control-Allow-Methods": "GET, POST, PATCH, PUT, DELETE, OPTIONS",
          "Access-Control-Allow-Headers": "Content-Type, X-Request-ID",
          "Access-Control-Max-Age": "600",
        }
      : {}),
  };
}
