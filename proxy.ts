import { NextResponse, type NextRequest } from "next/server";
import { clerkMiddleware } from "@clerk/nextjs/server";
import { env } from "@/lib/env";
import { acceptRequestId, REQUEST_ID_HEADER } from "@/lib/http/request-id";
import { SESSION_COOKIE_NAME } from "@/lib/auth/cookie-name";

/**
 * Runs before every route: request id (OBS-3), and a cheap presence check for the session so anonymous
 * visitors are sent to sign-in (pages) or get 401 JSON (API). The real verification happens server-side on
 * every request (lib/auth), never here alone.
 */
const PROTECTED_PAGES = ["/projects", "/account"];
const PUBLIC_API = ["/api/webhooks/"];

function isProtectedPage(pathname: string) {
  return PROTECTED_PAGES.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

function handle(request: NextRequest, signedIn: boolean): NextResponse {
  const requestId = acceptRequestId(request.headers.get(REQUEST_ID_HEADER));
  const { pathname, search } = request.nextUrl;
  let response: NextResponse;

  if (pathname.startsWith("/api/") && !PUBLIC_API.some((p) => pathname.startsWith(p)) && !signedIn && !request.headers.has("authorization")) {
    response = NextResponse.json(
      { type: "https://tenantguard.dev/problems/unauthenticated", title: "Authentication required", status: 401, code: "unauthenticated" },
      { status: 401, headers: { "content-type": "application/problem+json" } },
    );
  } else if (isProtectedPage(pathname) && !signedIn) {
    const url = new URL("/sign-in", request.url);
    url.searchParams.set("next", `${pathname}${search}`);
    response = NextResponse.redirect(url);
  } else {
    const headers = new Headers(request.headers);
    headers.set(REQUEST_ID_HEADER, requestId);
    response = NextResponse.next({ request: { headers } });
  }
  response.headers.set(REQUEST_ID_HEADER, requestId);
  return response;
}

const embeddedProxy = (request: NextRequest) => handle(request, request.cookies.has(SESSION_COOKIE_NAME));

const clerkProxy = clerkMiddleware(async (auth, request) => handle(request, Boolean((await auth()).userId)));

export default env.identityProvider === "clerk" ? clerkProxy : embeddedProxy;

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
