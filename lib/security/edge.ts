import { NextRequest, NextResponse } from "next/server";
import { acceptRequestId, REQUEST_ID_HEADER } from "@/lib/http/request-id";
import { SESSION_COOKIE_NAME } from "@/lib/auth/cookie-name";
import { contentSecurityPolicy, CSP_REPORT_PATH, newNonce, reportingEndpoints, staticSecurityHeaders } from "./headers";
import { cookieRouteCorsHeaders, isPartnerApi, partnerCorsHeaders, partnerPreflightHeaders } from "./cors";
import { isStateChanging, isTrustedOrigin } from "./csrf";
import { ALLOW_HEADER, problemJson, requestLineProblem } from "./request-line.mjs";

/** What the edge depends on, passed in (proxy.ts reads it from lib/env) so tests can run the production variant. */
export interface EdgeConfig {
  /** HSTS, no `'unsafe-eval'`, `upgrade-insecure-requests`. */
  production: boolean;
  /** APP_URL's origin: the public origin when TLS ends at a proxy in front of us. */
  appOrigin: string;
  /** HDR-3: origins allowed to call cookie-authenticated API routes cross-origin (CORS_ORIGINS). */
  corsOrigins: string[];
  /** Clerk's Frontend API origin, when Clerk is configured. */
  clerkOrigin?: string;
  /** BIL-2: Mux is configured (its media and upload hosts join the CSP). */
  mux?: boolean;
  /** FILE-1: the largest body an upload route takes (MAX_UPLOAD_BYTES); every other route takes at most 1 MiB. */
  maxUploadBytes?: number;
  /** HDR-4 / OPS-4: the csrf flag; only an explicit `false` skips the Origin check (unset: checked). */
  csrf?: boolean;
}

/** Synchronous, except for a POST to a page, whose body is checked first (pageBodyProblem). */
export type EdgeHandler = (request: NextRequest, signedIn: boolean) => NextResponse | Promise<NextResponse>;

const PROTECTED_PAGES = ["/projects", "/account", "/settings"];
// Reached without a session: provider webhooks (signature-verified), CSP reports (browsers send no cookie).
// Signed download links (FILE-3): the token in the URL is the credential, so they work without a cookie.
const PUBLIC_API = ["/api/webhooks/", CSP_REPORT_PATH, "/api/documents/download"];
// FILE-1: the routes whose body is a file, streamed to quarantine (the partner API's and the dashboard's upload).
// The proxy does not run for them (proxy.ts's matcher); they call edgeForRoute instead.
const UPLOAD_ROUTE = /^\/api\/(v1\/projects\/[^/]+\/documents|documents\/upload)$/;
// VAL-2: route handlers read bodies with a limit too (lib/http/body.ts); this stops oversized ones early.
const MAX_BODY_BYTES = 1024 * 1024;
// Clerk's session cookie (clerkMiddleware reads the session token from it).
const CLERK_SESSION_COOKIE = "__session";

function isProtectedPage(pathname: string) {
  return PROTECTED_PAGES.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

type Refusal = [status: number, code: string, title: string, detail: string];

const FORM_TYPES = ["multipart/form-data", "application/x-www-form-urlencoded"];
// What Next.js's client sends a server action as: the encoded arguments as text, or as a form when they hold one.
const ACTION_TYPES = ["text/plain", "multipart/form-data"];

/**
 * VAL-3: a POST to a page is a server action, and Next.js decodes its body before any of our code runs: a body that
 * does not parse makes it throw and answer 500, from anyone who knows an action id (they are in the pages' scripts).
 * So such a body is parsed here first, with the same parsers: a form (`Next-Action` or not: without JavaScript,
 * a form post is the action) must parse as a form; an action's text must be JSON. Browsers always declare these
 * bodies' length, so an undeclared one is refused rather than read without a bound (the 1 MiB cap applies too).
 * Null when the body is fine.
 */
async function pageBodyProblem(request: NextRequest, type: string): Promise<Refusal | null> {
  if (request.headers.get("content-length") === null) return [411, "length_required", "Length required", "Declare the body's Content-Length."];
  try {
    if (type === "text/plain") JSON.parse(await request.clone().text());
    else await request.clone().formData();
    return null;
  } catch {
    return [400, "malformed_request", "Malformed request", "The body does not parse."];
  }
}

/** Which body pageBodyProblem checks for this request: its media type, a refusal, or null for none. */
function pageBodyCheck(method: string, isApi: boolean, request: NextRequest): string | Refusal | null {
  if (method !== "POST" || isApi) return null;
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!request.headers.has("next-action")) return FORM_TYPES.includes(type) ? type : null;
  if (ACTION_TYPES.includes(type)) return type;
  return [415, "unsupported_media_type", "Unsupported media type", "A server action is sent as text/plain or multipart/form-data."];
}

function problem(status: number, code: string, title: string, detail: string, requestId: string, headers: Record<string, string> = {}): NextResponse {
  return new NextResponse(problemJson({ status, code, title, detail }, requestId), {
    status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}

/** What the checks decided: a finished answer (a refusal, a preflight, a redirect), or pass with these CORS headers. */
type Verdict = NextResponse | { cors: Record<string, string> | null };

/**
 * The edge pipeline, run by the proxy for every route (proxy.ts) and, through edgeForRoute, by the routes the proxy
 * does not run for (the uploads). In order:
 *  - a request line Next.js cannot serve (a method outside ALLOWED_METHODS, a path whose escapes do not decode):
 *    405 with `Allow` or 400, before anything decodes the path;
 *  - OBS-3 request id (accepted when well-formed, generated otherwise), on the request and the response;
 *  - HDR-3 CORS: partner API `*` without credentials; cookie routes only for CORS_ORIGINS;
 *  - VAL-2 body size: a declared body over the limit is refused before any handler reads it;
 *  - HDR-4 CSRF: state-changing requests that carry our cookie must come from our origin; a state-changing request
 *    to a page (a server action, `Next-Action`) must come from our own origin, with or without a cookie;
 *  - session presence: anonymous visitors go to sign-in (pages) or get 401 (cookie API routes);
 *  - VAL-3 a POST to a page (a server action) whose body Next.js could not decode: 400, 411 or 415;
 *  - HDR-1 / HDR-2 security headers and a per-request nonce CSP on every response, refusals included.
 * Real authentication happens server-side on every request (lib/auth), never here alone.
 */
function createEdge(config: EdgeConfig) {
  const { production, appOrigin, corsOrigins, clerkOrigin, mux, maxUploadBytes } = config;
  const csrf = config.csrf !== false;
  const staticHeaders = Object.entries(staticSecurityHeaders(production));
  const reporting = reportingEndpoints();

  function check(request: NextRequest, signedIn: boolean, requestId: string): Verdict | Promise<Verdict> {
    const { pathname, search } = request.nextUrl;
    const method = request.method.toUpperCase();

    const refusal = requestLineProblem(method, pathname);
    if (refusal) return problem(refusal.status, refusal.code, refusal.title, refusal.detail, requestId, refusal.status === 405 ? { Allow: ALLOW_HEADER } : {});

    const isApi = pathname.startsWith("/api/");
    const partner = isPartnerApi(pathname);

    if (partner && method === "OPTIONS") return new NextResponse(null, { status: 204, headers: partnerPreflightHeaders() });
    if (!partner && isApi && method === "OPTIONS") {
      const cors = cookieRouteCorsHeaders(request.headers.get("origin"), corsOrigins, true);
      return cors ? new NextResponse(null, { status: 204, headers: cors }) : problem(403, "cors_origin_not_allowed", "Origin not allowed", "This origin may not call this route.", requestId);
    }

    const declaredLength = Number(request.headers.get("content-length") ?? 0);
    const upload = method === "POST" && UPLOAD_ROUTE.test(pathname);
    const maxBody = upload ? Math.max(MAX_BODY_BYTES, maxUploadBytes ?? MAX_BODY_BYTES) : MAX_BODY_BYTES;
    if (declaredLength > maxBody) {
      const detail = upload ? `The file is larger than the upload limit of ${maxBody} bytes.` : `The body may be at most ${maxBody} bytes.`;
      return problem(413, "payload_too_large", "Payload too large", detail, requestId);
    }
    // FILE-1: an upload declares its length, so a body over the limit is refused before a byte is read, and the
    // route checks that it received exactly the declared bytes.
    if (upload && request.headers.get("content-length") === null) {
      return problem(411, "length_required", "Length required", "Declare the file's size in Content-Length.", requestId);
    }

    if (csrf && isStateChanging(method)) {
      // HDR-4: pages take writes only as server actions, which act on whatever session the browser holds and which
      // Next.js refuses from a foreign origin only after the fact (a 500). Our own origins only, cookie or not:
      // CORS_ORIGINS grants cross-origin API reads, never page writes. (`request.nextUrl.origin` comes from the
      // Host header the browser sent; a cross-site page cannot make the browser send a matching Origin.)
      if (!isApi || request.headers.has("next-action")) {
        if (!isTrustedOrigin(request.headers, [appOrigin, request.nextUrl.origin])) {
          return problem(403, "csrf_origin_mismatch", "Cross-site request refused", "This request must come from a page of this site.", requestId);
        }
      } else if (!partner && !PUBLIC_API.some((p) => pathname.startsWith(p))) {
        // HDR-4: the partner API authenticates with bearer keys only and ignores cookies, so it cannot be CSRF'd.
        const carriesCookie = request.cookies.has(SESSION_COOKIE_NAME) || request.cookies.has(CLERK_SESSION_COOKIE);
        if (carriesCookie && !isTrustedOrigin(request.headers, [appOrigin, request.nextUrl.origin, ...corsOrigins])) {
          return problem(403, "csrf_origin_mismatch", "Cross-site request refused", "This request must come from an allowed origin.", requestId);
        }
      }
    }

    if (isApi && !partner && !PUBLIC_API.some((p) => pathname.startsWith(p)) && !signedIn) {
      return problem(401, "unauthenticated", "Authentication required", "Sign in to use this route.", requestId);
    }
    if (isProtectedPage(pathname) && !signedIn) {
      const url = new URL("/sign-in", request.url);
      url.searchParams.set("next", `${pathname}${search}`);
      return NextResponse.redirect(url);
    }

    const pass: Verdict = { cors: partner ? partnerCorsHeaders() : isApi ? cookieRouteCorsHeaders(request.headers.get("origin"), corsOrigins, false) : null };
    const bodyCheck = pageBodyCheck(method, isApi, request);
    if (Array.isArray(bodyCheck)) return problem(...bodyCheck, requestId);
    if (bodyCheck) return pageBodyProblem(request, bodyCheck).then((refused) => (refused ? problem(...refused, requestId) : pass));
    return pass;
  }

  /** Sets the request id, the nonce CSP, Reporting-Endpoints and the static headers (HDR-1/2, OBS-3). */
  function decorate<R extends Response>(response: R, requestId: string, csp: string): R {
    response.headers.set(REQUEST_ID_HEADER, requestId);
    response.headers.set("Content-Security-Policy", csp);
    response.headers.set("Reporting-Endpoints", reporting);
    for (const [name, value] of staticHeaders) response.headers.set(name, value);
    return response;
  }

  function start(request: NextRequest) {
    const requestId = acceptRequestId(request.headers.get(REQUEST_ID_HEADER));
    const nonce = newNonce();
    return { requestId, nonce, csp: contentSecurityPolicy({ nonce, production, clerkOrigin, mux }) };
  }

  const proxy: EdgeHandler = (request, signedIn) => {
    const { requestId, nonce, csp } = start(request);
    const passOn = (verdict: Verdict) => {
      if (verdict instanceof NextResponse) return decorate(verdict, requestId, csp);
      const headers = new Headers(request.headers);
      headers.set(REQUEST_ID_HEADER, requestId);
      headers.set("x-nonce", nonce);
      // Next.js reads the nonce from the request's CSP header and puts it on the scripts it renders.
      headers.set("content-security-policy", csp);
      const response = NextResponse.next({ request: { headers } });
      for (const [name, value] of Object.entries(verdict.cors ?? {})) response.headers.set(name, value);
      return decorate(response, requestId, csp);
    };
    const verdict = check(request, signedIn, requestId);
    return verdict instanceof Promise ? verdict.then(passOn) : passOn(verdict);
  };

  async function forRoute(incoming: Request): Promise<Response | RouteEdge> {
    const request = incoming instanceof NextRequest ? incoming : new NextRequest(incoming);
    // Session presence, as the proxy decides it: the embedded provider's cookie, or Clerk's session cookie (which
    // clerkMiddleware would read). lib/auth verifies the session in the route.
    const signedIn = request.cookies.has(clerkOrigin ? CLERK_SESSION_COOKIE : SESSION_COOKIE_NAME);
    const { requestId, csp } = start(request);
    const verdict = await check(request, signedIn, requestId);
    if (verdict instanceof NextResponse) return decorate(verdict, requestId, csp);
    const headers = new Headers(request.headers);
    headers.set(REQUEST_ID_HEADER, requestId);
    // The body is handed on as the same stream, never read here.
    const passed = new NextRequest(request, { headers });
    return {
      request: passed,
      requestId,
      finish: (response) => {
        for (const [name, value] of Object.entries(verdict.cors ?? {})) response.headers.set(name, value);
        return decorate(response, requestId, csp);
      },
    };
  }

  return { proxy, forRoute };
}

/** Runs before every route the proxy matches (proxy.ts). */
export function createEdgeHandler(config: EdgeConfig): EdgeHandler {
  return createEdge(config).proxy;
}

/** A request that passed the edge checks in its route (edgeForRoute). */
export interface RouteEdge {
  /** The request to serve: the same body stream, with the accepted request id in `X-Request-ID`. */
  request: NextRequest;
  requestId: string;
  /** Puts the headers the proxy adds (CORS, request id, CSP, the static security headers) on the route's response. */
  finish(response: Response): Response;
}

const routeEdges = new WeakMap<EdgeConfig, ReturnType<typeof createEdge>>();

/**
 * FILE-1: the edge pipeline for a route the proxy does not run for. Next.js buffers in memory every body that passes
 * the proxy, so the upload routes are left out of its matcher (proxy.ts) and call this first: it applies exactly
 * what the proxy would (the same checks, in the same order) and answers with the refusal the proxy would send, or
 * hands back the request to serve and the decorator for the route's response.
 */
export function edgeForRoute(request: Request, config: EdgeConfig): Promise<Response | RouteEdge> {
  let edge = routeEdges.get(config);
  if (!edge) routeEdges.set(config, (edge = createEdge(config)));
  return edge.forRoute(request);
}
