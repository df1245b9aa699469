import { NextResponse, type NextRequest } from "next/server";
import { clerkMiddleware } from "@clerk/nextjs/server";
import { env } from "@/lib/env";
import { acceptRequestId, REQUEST_ID_HEADER } from "@/lib/http/request-id";
import { SESSION_COOKIE_NAME } from "@/lib/auth/cookie-name";
import { contentSecurityPolicy, CSP_REPORT_PATH, newNonce, reportingEndpoints, staticSecurityHeaders } from "@/lib/security/headers";
import { cookieRouteCorsHeaders, isPartnerApi, partnerCorsHeaders, partnerPreflightHeaders } from "@/lib/security/cors";
import { isStateChanging, isTrustedOrigin } from "@/lib/security/csrf";
import { clerkFrontendOrigin } from "@/lib/auth/clerk-origin";

/**
 * Runs before every route. In order:
 *  - OBS-3 request id (accepted when well-formed, generated otherwise), on the request and the response;
 *  - HDR-3 CORS: partner API `*` without credentials; cookie routes only for CORS_ORIGINS;
 *  - HDR-4 CSRF: state-changing requests that carry our cookie must come from our origin;
 *  - VAL-2 body size: a declared body over the limit is refused before any handler reads it;
 *  - session presence: anonymous visitors go to sign-in (pages) or get 401 (cookie API routes);
 *  - HDR-1 / HDR-2 security headers and a per-request nonce CSP on every response.
 * Real authentication happens server-side on every request (lib/auth), never here alone.
 */
const PROTECTED_PAGES = ["/projects", "/account", "/settings"];
// Reached without a session: provider webhooks (signature-verified), CSP reports (browsers send no cookie).
const PUBLIC_API = ["/api/webhooks/", CSP_REPORT_PATH];
// VAL-2: route handlers read bodies with a limit too (lib/http/body.ts); this stops oversized ones early.
const MAX_BODY_BYTES = 1024 * 1024;

const production = env.NODE_ENV === "production";
const appOrigin = new URL(env.APP_URL).origin;
const clerkOrigin = env.identityProvider === "clerk" ? clerkFrontendOrigin(env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY!) : undefined;

function isProtectedPage(pathname: string) {
  return PROTECTED_PAGES.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

function problem(status: number, code: string, title: string): NextResponse {
  return NextResponse.json(
    { type: `https://tenantguard.dev/problems/${code}`, title, status, code },
    { status, headers: { "content-type": "application/problem+json" } },
  );
}

function route(request: NextRequest, signedIn: boolean, requestId: string, nonce: string, csp: string): NextResponse {
  const { pathname, search } = request.nextUrl;
  const method = request.method.toUpperCase();
  const isApi = pathname.startsWith("/api/");
  const partner = isPartnerApi(pathname);

  if (partner && method === "OPTIONS") return new NextResponse(null, { status: 204, headers: partnerPreflightHeaders() });
  if (!partner && isApi && method === "OPTIONS") {
    const cors = cookieRouteCorsHeaders(request.headers.get("origin"), env.corsOrigins, true);
    return cors ? new NextResponse(null, { status: 204, headers: cors }) : problem(403, "cors_origin_not_allowed", "Origin not allowed");
  }

  const declaredLength = Number(request.headers.get("content-length") ?? 0);
  if (declaredLength > MAX_BODY_BYTES) return problem(413, "payload_too_large", "Request body too large");

  // HDR-4: the partner API authenticates with bearer keys only and ignores cookies, so it cannot be CSRF'd.
  const carriesCookie = request.cookies.has(SESSION_COOKIE_NAME) || request.cookies.has("__session");
  const exempt = partner || PUBLIC_API.some((p) => pathname.startsWith(p));
  if (!exempt && carriesCookie && isStateChanging(method)) {
    const trusted = [appOrigin, request.nextUrl.origin, ...env.corsOrigins];
    if (!isTrustedOrigin(request.headers, trusted)) return problem(403, "csrf_origin_mismatch", "Cross-site request refused");
  }

  if (isApi && !partner && !PUBLIC_API.some((p) => pathname.startsWith(p)) && !signedIn) {
    return problem(401, "unauthenticated", "Authentication required");
  }
  if (isProtectedPage(pathname) && !signedIn) {
    const url = new URL("/sign-in", request.url);
    url.searchParams.set("next", `${pathname}${search}`);
    return NextResponse.redirect(url);
  }

  const headers = new Headers(request.headers);
  headers.set(REQUEST_ID_HEADER, requestId);
  headers.set("x-nonce", nonce);
  // Next.js reads the nonce from the request's CSP header and puts it on the scripts it renders.
  headers.set("content-security-policy", csp);
  const response = NextResponse.next({ request: { headers } });
  const cors = partner ? partnerCorsHeaders() : isApi ? cookieRouteCorsHeaders(request.headers.get("origin"), env.corsOrigins, false) : null;
  for (const [name, value] of Object.entries(cors ?? {})) response.headers.set(name, value);
  return response;
}

function handle(request: NextRequest, signedIn: boolean): NextResponse {
  const requestId = acceptRequestId(request.headers.get(REQUEST_ID_HEADER));
  const nonce = newNonce();
  const csp = contentSecurityPolicy({ nonce, production, clerkOrigin });
  const response = route(request, signedIn, requestId, nonce, csp);
  response.headers.set(REQUEST_ID_HEADER, requestId);
  response.headers.set("Content-Security-Policy", csp);
  response.headers.set("Reporting-Endpoints", reportingEndpoints(appOrigin));
  for (const [name, value] of Object.entries(staticSecurityHeaders(production))) response.headers.set(name, value);
  return response;
}

const embeddedProxy = (request: NextRequest) => handle(request, request.cookies.has(SESSION_COOKIE_NAME));

const clerkProxy = clerkMiddleware(async (auth, request) => handle(request, Boolean((await auth()).userId)));

export default env.identityProvider === "clerk" ? clerkProxy : embeddedProxy;

export const config = {
  matcher: [{ source: "/((?!_next/static|_next/image|favicon.ico).*)" }],
};
