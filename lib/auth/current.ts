import "server-only";
import { cache } from "react";
import { cookies, headers } from "next/headers";
import { env } from "@/lib/env";
import { arrivedOverHttps } from "@/lib/http/client-address";
import type { Session } from "./claims";
import { resolveSession } from "./session";
import { REFRESH_COOKIE_NAME, SESSION_COOKIE_NAME as SESSION_COOKIE } from "./cookie-name";

/** The signed-in session of the current request, verified once per request (IDN-1 / IDN-2). */
export const getSession = cache(async (): Promise<Session | null> => {
  if (env.identityProvider === "clerk") {
    const { auth } = await import("@clerk/nextjs/server");
    const { getToken } = await auth();
    return resolveSession(await getToken());
  }
  return resolveSession((await cookies()).get(SESSION_COOKIE)?.value);
});

/**
 * The session of a request the proxy did not run for (the upload routes, FILE-1). Clerk's `auth()` needs
 * clerkMiddleware, so with Clerk the session token is read from Clerk's `__session` cookie and verified exactly as
 * every other token (networkless, CLERK_JWT_KEY; an expired or forged one is no session).
 */
export const getSessionWithoutProxy = cache(async (): Promise<Session | null> => {
  if (env.identityProvider !== "clerk") return getSession();
  return resolveSession((await cookies()).get("__session")?.value);
});

/**
 * IDN-4: HttpOnly, SameSite=Lax, and Secure whenever the app is served over https (APP_URL), or this request
 * arrived over https. Only a demo on plain http://localhost goes without.
 */
export function sessionCookieOptions(expiresAt: Date, requestHeaders: Headers, appServedOverHttps = env.servedOverHttps) {
  return {
    httpOnly: true,
    sameSite: "lax" as const,
    secure: appServedOverHttps || arrivedOverHttps(requestHeaders),
    path: "/",
    expires: expiresAt,
  };
}

export async function setSessionCookie(token: string, expiresAt: Date) {
  (await cookies()).set(SESSION_COOKIE, token, sessionCookieOptions(expiresAt, await headers()));
}

/** IDN-6: the rotating refresh token, HttpOnly like the session cookie, until the session itself ends. */
export async function setRefreshCookie(token: string, expiresAt: Date) {
  (await cookies()).set(REFRESH_COOKIE_NAME, token, sessionCookieOptions(expiresAt, await headers()));
}

/** Sets what a sign-in issued: the session token, and the refresh token when the sign-in started a session. */
export async function setIssuedSessionCookies(issued: { token: string; expiresAt: Date; refreshToken?: string; refreshExpiresAt?: Date }) {
  await setSessionCookie(issued.token, issued.expiresAt);
  if (issued.refreshToken && issued.refreshExpiresAt) await setRefreshCookie(issued.refreshToken, issued.refreshExpiresAt);
}

export async function clearSessionCookie() {
  const jar = await cookies();
  jar.delete(SESSION_COOKIE);
  jar.delete(REFRESH_COOKIE_NAME);
}

const SECOND_FACTOR_COOKIE = "tg_second_factor";

/** IDN-2: the pending second sign-in step (a signed challenge naming the user; never a session). */
export async function setSecondFactorChallengeCookie(challenge: string, expiresAt: Date) {
  (await cookies()).set(SECOND_FACTOR_COOKIE, challenge, { ...sessionCookieOptions(expiresAt, await headers()), path: "/sign-in" });
}

export async function secondFactorChallengeCookie(): Promise<string | undefined> {
  return (await cookies()).get(SECOND_FACTOR_COOKIE)?.value;
}

export async function clearSecondFactorChallengeCookie() {
  (await cookies()).delete({ name: SECOND_FACTOR_COOKIE, path: "/sign-in" });
}
