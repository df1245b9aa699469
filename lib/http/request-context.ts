import "server-only";
import { headers } from "next/headers";

export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export const REQUEST_ID_HEADER = "x-request-id";
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** OBS-3: a caller's request id is kept only when well-formed (no log injection); otherwise we make one. */
export function acceptRequestId(candidate: string | null): string {
  return candidate && REQUEST_ID.test(candidate) ? candidate : crypto.randomUUID();
}

export function requestContextFrom(h: Headers): RequestContext {
  const forwarded = h.get("x-forwarded-for")?.split(",")[0]?.trim();
  return {
    ip: (forwarded || h.get("x-real-ip") || null)?.slice(0, 64) ?? null,
    userAgent: h.get("user-agent")?.slice(0, 512) ?? null,
    requestId: h.get(REQUEST_ID_HEADER),
  };
}

export async function currentRequestContext(): Promise<RequestContext> {
  return requestContextFrom(await headers());
}
