import type { NextFetchEvent, NextRequest } from "next/server";
import { clerkMiddleware } from "@clerk/nextjs/server";
import { env } from "@/lib/env";
import { edge, embeddedProxy } from "@/lib/security/embedded-proxy";
import { requestLineProblem } from "@/lib/security/request-line.mjs";

// The edge pipeline (request line, CORS, CSRF, session presence, headers and CSP) is lib/security/edge.ts; with the
// embedded identity provider the proxy is lib/security/embedded-proxy.ts (IDN-6: it renews an expired session first).

const clerkHandler = clerkMiddleware(async (auth, request) => edge(request, Boolean((await auth()).userId)));
// A request line we refuse never reaches Clerk's handshake.
const clerkProxy = (request: NextRequest, event: NextFetchEvent) =>
  requestLineProblem(request.method, request.nextUrl.pathname) ? edge(request, false) : clerkHandler(request, event);

export default env.identityProvider === "clerk" ? clerkProxy : embeddedProxy;

/**
 * Every path except static assets and, FILE-1, the two upload routes: Next.js buffers in memory the whole body of a
 * request the proxy runs for, so `/api/v1/projects/{id}/documents` and `/api/documents/upload` are left out and run
 * the same pipeline in the route (edgeForRoute, lib/security/edge-config.ts). Only their exact form is left out: an
 * id without `%` that is not `.` or `..` (an escaped slash or dot still meets the proxy, which refuses what does not
 * decode), no trailing slash, no suffix (`.../documents/imports`, `.../upload.rsc` go through the proxy). Next.js
 * tests the raw and the decoded path and runs the proxy when either matches. The matcher cannot see the method, so
 * every method on these two paths is served by the route-level pipeline.
 */
export const config = {
  matcher: [{ source: "/((?!_next/static|_next/image|favicon.ico|api/v1/projects/(?!\\.\\.?/)[^/%]+/documents$|api/documents/upload$).*)" }],
};
