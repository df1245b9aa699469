"use server";

import { cookies, headers } from "next/headers";
import { revalidatePath } from "next/cache";
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { getSession, sessionCookieOptions } from "@/lib/auth/current";
import { parseCredentialJSON, passkeyRegistrationOptions, registerPasskey, signWebauthnChallenge, webauthnChallengeFor, WEBAUTHN_COOKIE_NAME } from "@/lib/auth/embedded/passkeys";
import { withTenant } from "@/lib/db";

/** IDN-2: passkey registration, part 1: options for the signed-in user, the challenge kept in a signed cookie. */
export async function passkeyRegistrationOptionsAction(): Promise<PublicKeyCredentialCreationOptionsJSON | null> {
  const session = await getSession();
  if (!session) return null;
  const [user] = await withTenant(session.claims, (tx) => tx.query<{ email: string }>("select email from public.users where id = $1", [session.userId]));
  const options = await passkeyRegistrationOptions(session, user?.email ?? session.userId);
  (await cookies()).set(WEBAUTHN_COOKIE_NAME, await signWebauthnChallenge(session.userId, "register", options.challenge), sessionCookieOptions(new Date(Date.now() + 300_000), await headers()));
  return options;
}

/** Part 2: the authenticator's attestation, verified against that challenge, then stored. */
export async function registerPasskeyAction(rawResponse: unknown): Promise<{ ok: boolean; message: string }> {
  const session = await getSession();
  if (!session) return { ok: false, message: "Sign in first." };
  const jar = await cookies();
  const expectedChallenge = await webauthnChallengeFor(jar.get(WEBAUTHN_COOKIE_NAME)?.value, session.userId, "register");
  jar.delete(WEBAUTHN_COOKIE_NAME);
  const response = parseCredentialJSON<RegistrationResponseJSON>(rawResponse);
  if (!response || !expectedChallenge || !(await registerPasskey(session, response, expectedChallenge))) return { ok: false, message: "The passkey could not be registered. Try again." };
  revalidatePath("/account/security");
  return { ok: true, message: "Passkey added." };
}
