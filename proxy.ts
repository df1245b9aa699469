import type { NextFetchEvent, NextRequest } from "next/server";
import { clerkMiddleware } from "@clerk/nextjs/server";
import { env } from "@/lib/env";
import { SESSION_COOKIE_NAME } from "@/lib/auth/cookie-name";
import { clerkFrontendOrigin } from "@/lib/auth/clerk-origin";
import { createEdgeHandler } from "@/lib/security/edge";
import { requestLineProblem } from "@/lib/security/request-line.mjs";

// The edge pipeline (request line, CORS, CSRF, session presence, headers and CSP) is lib/security/edge.ts.
const edge = createEdgeHandler({
  production: env.NODE_ENV === "production",
  appOrigin: new URL(env.APP_URL).origin,
  corsOrigins: env.corsOrigins,
  clerkOrigin: env.identityProvider === "clerk" ? clerkFrontendOrigin(env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY!) : undefined,
  maxUploadBytes: env.MAX_UPLOAD_BYTES,
  mux: env.muxConfigured,
});

const embeddedProxy = (request: NextRequest) => edge(request, request.cookies.has(SESSION_COOKIE_NAME));

const clerkHandler = clerkMiddleware(async (auth, request) => edge(request, Boolean((await auth()).userId)));
// A request line we refuse never reaches Clerk's handshake.
const clerkProxy = (request: NextRequest, event: NextFetchEvent) =>
  requestLineProblem(request.method, request.nextUrl.pathname) ? edge(request, false) : clerkHandler(request, event);

export default env.identityProvider === "clerk" ? clerkProxy : embeddedProxy;

export const config = {
  matcher: [{ source: "/((?!_next/static|_next/image|favicon.ico).*)" }],
};
