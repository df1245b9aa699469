import type { NextRequest } from "next/server";
import { REFRESH_COOKIE_NAME, SESSION_COOKIE_NAME } from "@/lib/auth/cookie-name";
import { createEdgeHandler } from "./edge";
import { edgeConfig } from "./edge-config";

// The edge pipeline (request line, CORS, CSRF, session presence, headers and CSP) is lib/security/edge.ts.
export const edge = createEdgeHandler(edgeConfig);

const passOn = (request: NextRequest) => edge(request, request.cookies.has(SESSION_COOKIE_NAME));

/**
 * proxy.ts with the embedded identity provider (kept apart from Clerk's middleware, so that a process serving the
 * app without Next.js's bundler, tests/integration/scale-out-instance.child.ts, runs this very function).
 * IDN-6: with a refresh token and an expired (or missing) session token, the session is renewed first; otherwise
 * the proxy answers synchronously.
 */
export const embeddedProxy = (request: NextRequest) => {
  if (!request.cookies.has(REFRESH_COOKIE_NAME)) return passOn(request);
  return import("@/lib/auth/embedded/proxy-refresh").then(({ needsRefresh, refreshInProxy }) => (needsRefresh(request) ? refreshInProxy(request, passOn) : passOn(request)));
};
