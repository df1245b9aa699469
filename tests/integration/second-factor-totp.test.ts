import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generate } from "otplib";
import { closeDb, ownerDb } from "@/lib/db";
import { resolveSession } from "@/lib/auth/session";
import { hashPassword, signInWithPassword } from "@/lib/auth/embedded/sign-in";
import { beginTotpEnrolment, challengeSubject, completeSignInWithSecondFactor, verifyOwnTotp } from "@/lib/auth/embedded/second-factor";
import type { Session } from "@/lib/auth/claims";
import { createOrg, createUser, signIn } from "../helpers/tenants";

afterAll(closeDb);

const from = { ip: "198.51.100.9", userAgent: "vitest" };
const now = () => Math.floor(Date.now() / 1000);
const codeAt = (secret: string, epoch: number): Promise<string> => generate({ secret, epoch, period: 30 });

async function enrolledUser(password: string) {
  const org = await createOrg("Totp");
  const userId = await createUser([{ orgId: org.id, role: "admin" }]);
  const db = await ownerDb();
  await db.query("insert into idp.credentials (user_id, password_hash) values ($1, $2)", [userId, await hashPassword(password)]);
  const [{ email }] = (await db.query<{ email: string }>("select email from public.users where id = $1", [userId])) as [{ email: string }];
  const { session } = await signIn(userId, { ...org, role: "admin" });
  const secret = (await beginTotpEnrolment(session))!;
  return { org, userId, email, session, secret };
}

describe("IDN-2: TOTP in the embedded identity provider", () => {
  let alice: Awaited<ReturnType<typeof enrolledUser>>;
  let bob: Awaited<ReturnType<typeof enrolledUser>>;
  let recoveryCodes: string[];

  beforeAll(async () => {
    alice = await enrolledUser("pw-alice-totp");
    bob = await enrolledUser("pw-bob-totp");
  });

  it("enrolment stays pending (no second sign-in step) until a code confirms it; then the token carries fva [.., 0]", async () => {
    expect(alice.secret).toMatch(/^[A-Z2-7]{32}$/);
    const before = await signInWithPassword({ email: alice.email, password: "pw-alice-totp", ...from });
    expect(before?.token).toEqual(expect.any(String));

    expect(await verifyOwnTotp(alice.session, "000000", { confirmEnrolment: true })).toEqual({ ok: false });
    const confirmed = await verifyOwnTotp(alice.session, await codeAt(alice.secret, now()), { confirmEnrolment: true });
    expect(confirmed).toMatchObject({ ok: true, recoveryCodes: expect.any(Array) });
    if (!confirmed.ok) throw new Error("unreachable");
    recoveryCodes = confirmed.recoveryCodes!;
    expect(recoveryCodes).toHaveLength(10);
    const stepped = (await resolveSession(confirmed.token)) as Session;
    expect(stepped.secondFactorAgeMinutes).toBe(0);
    expect(stepped.claims).toMatchObject({ fva: [expect.any(Number), 0] });

    // Only hashes are stored.
    const stored = await (await ownerDb()).query<{ code_hash: Buffer }>("select code_hash from idp.recovery_codes where user_id = $1", [alice.userId]);
    expect(stored).toHaveLength(10);
    expect(stored.map((r) => r.code_hash.toString("utf8")).join()).not.toContain(recoveryCodes[0]!.slice(0, 5));

    const bobConfirmed = await verifyOwnTotp(bob.session, await codeAt(bob.secret, now()), { confirmEnrolment: true });
    expect(bobConfirmed.ok).toBe(true);
  });

  it("with TOTP enabled the password step gives a challenge, never a session", async () => {
    const outcome = await signInWithPassword({ email: alice.email, password: "pw-alice-totp", ...from });
    expect(outcome).toMatchObject({ challenge: expect.any(String), userId: alice.userId });
    expect(outcome?.token).toBeUndefined();
    expect(await challengeSubject(outcome!.challenge)).toBe(alice.userId);
    // The challenge is not a session token.
    expect(await resolveSession(outcome!.challenge)).toBeNull();
  });

  it("refuses a wrong code, a code for another user's secret and an old step; accepts the next step once (the same code twice is refused)", async () => {
    const sign = (code: string) => completeSignInWithSecondFactor({ userId: alice.userId, code, ...from });
    expect(await sign("123456")).toBeNull();
    expect(await sign(await codeAt(bob.secret, now() + 30))).toBeNull();
    expect(await sign(await codeAt(alice.secret, now() - 120))).toBeNull();

    // The next step (within the tolerance), presented twice at once: exactly one sign-in.
    const next = await codeAt(alice.secret, now() + 30);
    const [first, second] = await Promise.all([sign(next), sign(next)]);
    const succeeded = [first, second].filter(Boolean);
    expect(succeeded).toHaveLength(1);
    const session = (await resolveSession(succeeded[0]!.token))!;
    expect(session.secondFactorAgeMinutes).toBe(0);
    expect(await sign(next)).toBeNull();
    // The step before the accepted one (still inside the tolerance window) is refused too.
    expect(await sign(await codeAt(alice.secret, now()))).toBeNull();
  });

  it("recovery codes work once each, and another user's code does not work", async () => {
    const use = (userId: string, code: string) => completeSignInWithSecondFactor({ userId, code, ...from });
    expect(await use(bob.userId, recoveryCodes[0]!)).toBeNull();
    const first = await use(alice.userId, recoveryCodes[0]!.toUpperCase());
    expect(first).toMatchObject({ method: "recovery_code" });
    expect(await use(alice.userId, recoveryCodes[0]!)).toBeNull();
    expect(await use(alice.userId, recoveryCodes[1]!)).toMatchObject({ method: "recovery_code" });
    const events = await (await ownerDb()).query("select kind from idp.auth_events where user_id = $1 and kind = 'recovery_code.used'", [alice.userId]);
    expect(events).toHaveLength(2);
  });
});
