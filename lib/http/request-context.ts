import "server-only";
import { headers } from "next/headers";
import { env } from "@/lib/env";
import { REQUEST_ID_HEADER } from "./request-id";

export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}


/**
 * The client address as our own proxies saw it. X-Forwarded-For is appended to hop by hop, so its leftmost
 * entries are whatever the client wrote; the entry TRUSTED_PROXY_HOPS from the right was added by the nearest
 * proxy we run (Next.js itself, a load balancer, Vercel). API-key IP allow-lists and rate limits rely on this.
 */
export function clientIpFrom(h: Headers, trustedHops = env.TRUSTED_PROXY_HOPS): string | null {
  const entries = (h.get("x-forwarded-for") ?? "").split(",").map((e) => e.trim()).filter(Boolean);
  const ip = entries.length > 0 ? entries[Math.max(0, entries.length - trustedHops)] : h.get("x-real-ip");
  return ip ? ip.slice(0, 64) : null;
}

export function requestContextFrom(h: Headers): RequestContext {
  return {
    ip: clientIpFrom(h),
    userAgent: h.get("user-agent")?.slice(0, 512) ?? null,
    requestId: h.get(REQUEST_ID_HEADER),
  };
}

export async function currentRequestContext(): Promise<RequestContext> {
  return requestContextFrom(await headers());
}
