import "server-only";
import { headers } from "next/headers";
import { clientAddressFrom } from "./client-address";
import { REQUEST_ID_HEADER } from "./request-id";

export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export function requestContextFrom(h: Headers): RequestContext {
  return {
    ip: clientAddressFrom(h),
    userAgent: h.get("user-agent")?.slice(0, 512) ?? null,
    requestId: h.get(REQUEST_ID_HEADER),
  };
}

export async function currentRequestContext(): Promise<RequestContext> {
  return requestContextFrom(await headers());
}
