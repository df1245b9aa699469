import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb } from "@/lib/db";
import { resolveSession } from "@/lib/auth/session";
import { hashPassword, signInWithPassword } from "@/lib/auth/embedded/sign-in";
import { completeSignInWithPasskey, passkeyAuthenticationOptions, passkeyRegistrationOptions, registerPasskey } from "@/lib/auth/embedded/passkeys";
import type { Session } from "@/lib/auth/claims";
import { SoftwareAuthenticator } from "../helpers/software-authenticator";
import { createOrg, createUser, signIn } from "../helpers/tenants";

afterAll(closeDb);

const RP = { rpId: "localhost", origin: "http://localhost:3000" }; // APP_URL in vitest.config.ts
const from = { ip: "198.51.100.31", userAgent: "vitest" };

describe("IDN-2: passkeys as a second factor", () => {
  let userId: string;
  let email: string;
  let session: Session;
  const authenticator = new SoftwareAuthenticator();

  beforeAll(async () => {
    const org = await createOrg("Passkey");
    userId = await createUser([{ orgId: org.id, role: "admin" }]);
    email = `${userId}@example.test`;
    await (await ownerDb()).query("insert into idp.credentials (user_id, password_hash) values ($1, $2)", [userId, await hashPassword("pw-passkey-1")]);
    session = (await signIn(userId, { ...org, role: "admin" })).session;
  });

  it("registers a passkey only for the challenge it was given; then the password step asks for the second factor", async () => {
    const options = await passkeyRegistrationOptions(session, email);
    expect(options.rp.id).toBe("localhost");
    expect(await registerPasskey(session, authenticator.register({ ...RP, challenge: "d3JvbmctY2hhbGxlbmdl" }), options.challenge)).toBe(false);
    expect(await registerPasskey(session, authenticator.register({ ...RP, challenge: options.challenge }), options.challenge)).toBe(true);
    expect(await signInWithPassword({ email, password: "pw-passkey-1", ...from })).toMatchObject({ challenge: expect.any(String) });
  });

  it("signs in with the passkey (fva [0, 0], method passkey); a wrong challenge or origin is refused", async () => {
    const options = (await passkeyAuthenticationOptions(userId))!;
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([authenticator.credentialId.toString("base64url")]);
    const wrong = await completeSignInWithPasskey({ userId, response: authenticator.authenticate({ ...RP, challenge: "b3RoZXI" }), expectedChallenge: options.challenge, ...from });
    expect(wrong).toBeNull();
    const otherOrigin = await completeSignInWithPasskey({ userId, response: authenticator.authenticate({ rpId: RP.rpId, origin: "https://evil.example", challenge: options.challenge }), expectedChallenge: options.challenge, ...from });
    expect(otherOrigin).toBeNull();
    const signedIn = await completeSignInWithPasskey({ userId, response: authenticator.authenticate({ ...RP, challenge: options.challenge }), expectedChallenge: options.challenge, ...from });
    expect(signedIn).toMatchObject({ method: "passkey" });
    expect((await resolveSession(signedIn!.token))!.secondFactorAgeMinutes).toBe(0);
  });

  it("a cloned credential whose counter is not above the stored one is refused", async () => {
    const clone = authenticator.clone();
    clone.counter = 1; // the clone was copied early: behind the original, which has signed more since
    const options = (await passkeyAuthenticationOptions(userId))!;
    expect(await completeSignInWithPasskey({ userId, response: clone.authenticate({ ...RP, challenge: options.challenge }), expectedChallenge: options.challenge, ...from })).toBeNull();
    // The original, still ahead, keeps working; the same assertion replayed does not.
    const fresh = authenticator.authenticate({ ...RP, challenge: options.challenge });
    expect(await completeSignInWithPasskey({ userId, response: fresh, expectedChallenge: options.challenge, ...from })).toMatchObject({ method: "passkey" });
    expect(await completeSignInWithPasskey({ userId, response: fresh, expectedChallenge: options.challenge, ...from })).toBeNull();
  });

  it("another user's passkey does not sign this user in", async () => {
    const stranger = await createUser([]);
    const options = (await passkeyAuthenticationOptions(userId))!;
    expect(await passkeyAuthenticationOptions(stranger)).toBeNull();
    expect(await completeSignInWithPasskey({ userId: stranger, response: authenticator.authenticate({ ...RP, challenge: options.challenge }), expectedChallenge: options.challenge, ...from })).toBeNull();
  });
});
