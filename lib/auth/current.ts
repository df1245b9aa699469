import "server-only";
import { cache } from "react";
import { cookies } from "next/headers";
import { env } from "@/lib/env";
import type { Session } from "./claims";
import { resolveSession } from "./session";
import { SESSION_COOKIE_NAME as SESSION_COOKIE } from "./cookie-name";

/** The signed-in session of the current request, verified once per request (IDN-1 / IDN-2). */
export const getSession = cache(async (): Promise<Session | null> => {
  if (env.identityProvider === "clerk") {
    const { auth } = await import("@clerk/nextjs/server");
    const { getToken } = await auth();
    return resolveSession(await getToken());
  }
  return resolveSession((await cookies()).get(SESSION_COOKIE)?.value);
});

/** IDN-4: HttpOnly, SameSite=Lax, Secure in production. */
export async function setSessionCookie(token: string, expiresAt: Date) {
  (await cookies()).set(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "lax",
    secure: env.NODE_ENV === "production" && new URL(env.APP_URL).protocol === "https:",
    path: "/",
    expires: expiresAt,
  });
}

export async function clearSessionCookie() {
  (await cookies()).delete(SESSION_COOKIE);
}
