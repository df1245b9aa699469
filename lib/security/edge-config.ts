import { env } from "@/lib/env";
import { isEnabled } from "@/lib/flags";
import { clerkFrontendOrigin } from "@/lib/auth/clerk-origin";
import type { NextRequest } from "next/server";
import { edgeForRoute, type EdgeConfig } from "./edge";

/** The edge pipeline's configuration, from the validated environment: for the proxy and for edgeForRoute. */
export const edgeConfig: EdgeConfig = {
  production: env.NODE_ENV === "production",
  appOrigin: new URL(env.APP_URL).origin,
  corsOrigins: env.corsOrigins,
  clerkOrigin: env.identityProvider === "clerk" ? clerkFrontendOrigin(env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY!) : undefined,
  maxUploadBytes: env.MAX_UPLOAD_BYTES,
  mux: env.muxConfigured,
  // OPS-4: the csrf security flag (on unless switched off, and then acknowledged in production).
  csrf: isEnabled("csrf"),
};

/**
 * FILE-1: a route handler the proxy does not run for (proxy.ts's matcher leaves the uploads out, so their bodies
 * stream): the edge pipeline runs first, in the route (edgeForRoute), and its headers go on every answer.
 */
export function withRouteEdge<A extends unknown[]>(handler: (request: NextRequest, ...rest: A) => Promise<Response>) {
  return async (request: Request, ...rest: A): Promise<Response> => {
    const edge = await edgeForRoute(request, edgeConfig);
    if (edge instanceof Response) return edge;
    return edge.finish(await handler(edge.request, ...rest));
  };
}
