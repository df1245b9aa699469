import "server-only";
import type { NextRequest, NextResponse } from "next/server";
import { decodeJwt } from "jose";
import { env } from "@/lib/env";
import { arrivedOverHttps, clientAddressFrom } from "@/lib/http/client-address";
import { logger } from "@/lib/observability/logger";
import { REFRESH_COOKIE_NAME, SESSION_COOKIE_NAME } from "../cookie-name";
import { refreshSession, type RefreshOutcome } from "./refresh";

/** Renewed this long before the session token expires, so a page's requests do not race its expiry. */
const EARLY_SECONDS = 30;

/**
 * IDN-6: whether the proxy should renew the session token first: a refresh token is present and the session token is
 * missing or about to expire. Reads `exp` without verifying (the refresh itself is the check; lib/auth still verifies
 * every token it uses).
 */
export function needsRefresh(request: NextRequest): boolean {
  if (!request.cookies.has(REFRESH_COOKIE_NAME)) return false;
  const token = request.cookies.get(SESSION_COOKIE_NAME)?.value;
  if (!token) return true;
  try {
    const { exp } = decodeJwt(token);
    return typeof exp !== "number" || exp - EARLY_SECONDS <= Date.now() / 1000;
  } catch {
    return true;
  }
}

/**
 * Renews the session in the proxy (the only place a page request can still set cookies): the new session token
 * replaces the old one in the request the app sees, and both cookies are set on the response. A refused refresh
 * (used twice, revoked, unknown) clears both cookies; a database failure leaves them as they are.
 */
export async function refreshInProxy(request: NextRequest, pass: (request: NextRequest) => NextResponse | Promise<NextResponse>): Promise<NextResponse> {
  let outcome: RefreshOutcome | null = null;
  try {
    outcome = await refreshSession(request.cookies.get(REFRESH_COOKIE_NAME)?.value, {
      ip: clientAddressFrom(request.headers),
      userAgent: request.headers.get("user-agent")?.slice(0, 512) ?? null,
    });
  } catch (error) {
    logger.warn({ scope: "auth", err: error }, "session refresh failed");
  }
  if (outcome?.ok) request.cookies.set(SESSION_COOKIE_NAME, outcome.token);
  else if (outcome) request.cookies.delete(SESSION_COOKIE_NAME);
  const response = await pass(request);
  const base = { httpOnly: true, sameSite: "lax" as const, secure: env.servedOverHttps || arrivedOverHttps(request.headers), path: "/" };
  if (outcome?.ok) {
    response.cookies.set(SESSION_COOKIE_NAME, outcome.token, { ...base, expires: outcome.expiresAt });
    response.cookies.set(REFRESH_COOKIE_NAME, outcome.refreshToken, { ...base, expires: outcome.refreshExpiresAt });
  } else if (outcome) {
    response.cookies.set(SESSION_COOKIE_NAME, "", { ...base, maxAge: 0 });
    response.cookies.set(REFRESH_COOKIE_NAME, "", { ...base, maxAge: 0 });
  }
  return response;
}
