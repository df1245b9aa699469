"use server";

import { cookies, headers } from "next/headers";
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { clearSecondFactorChallengeCookie, secondFactorChallengeCookie, sessionCookieOptions, setIssuedSessionCookies } from "@/lib/auth/current";
import { challengeSubject } from "@/lib/auth/embedded/second-factor";
import { completeSignInWithPasskey, parseCredentialJSON, passkeyAuthenticationOptions, signWebauthnChallenge, webauthnChallengeFor, WEBAUTHN_COOKIE_NAME } from "@/lib/auth/embedded/passkeys";
import { delayAfterFailure, secondFactorAllowed } from "@/lib/auth/embedded/throttle";
import { recordAuthEvent } from "@/lib/auth/embedded/auth-events";
import { auditSignedIn } from "@/lib/audit/signed-in";
import { currentRequestContext } from "@/lib/http/request-context";

/** IDN-2: the second sign-in step with a passkey, part 1: the options (challenge) for the user the password step named. */
export async function passkeySignInOptionsAction(): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
  const userId = await challengeSubject(await secondFactorChallengeCookie());
  if (!userId) return null;
  const options = await passkeyAuthenticationOptions(userId);
  if (!options) return null;
  (await cookies()).set(WEBAUTHN_COOKIE_NAME, await signWebauthnChallenge(userId, "sign-in", options.challenge), sessionCookieOptions(new Date(Date.now() + 300_000), await headers()));
  return options;
}

/** Part 2: the authenticator's answer. Limited and recorded like a TOTP code; the session starts only if it verifies. */
export async function passkeySignInAction(rawResponse: unknown): Promise<{ ok: boolean; message?: string }> {
  const userId = await challengeSubject(await secondFactorChallengeCookie());
  if (!userId) return { ok: false, message: "This sign-in has expired. Sign in again with your password." };
  const jar = await cookies();
  const expectedChallenge = await webauthnChallengeFor(jar.get(WEBAUTHN_COOKIE_NAME)?.value, userId, "sign-in");
  jar.delete(WEBAUTHN_COOKIE_NAME);
  const response = parseCredentialJSON<AuthenticationResponseJSON>(rawResponse);
  const request = await currentRequestContext();
  const throttle = await secondFactorAllowed(request.ip, userId);
  if (!throttle.allowed) {
    await recordAuthEvent({ kind: "second_factor.locked", userId, account: null, request });
    return { ok: false, message: "Too many attempts. Try again later." };
  }
  const issued = response && expectedChallenge ? await completeSignInWithPasskey({ userId, response, expectedChallenge, ip: request.ip, userAgent: request.userAgent }) : null;
  if (!issued) {
    await recordAuthEvent({ kind: "second_factor.failed", userId, account: null, request });
    await delayAfterFailure(throttle);
    return { ok: false, message: "That passkey could not be verified." };
  }
  await clearSecondFactorChallengeCookie();
  await auditSignedIn(issued.token, request);
  await setIssuedSessionCookies(issued);
  return { ok: true };
}
