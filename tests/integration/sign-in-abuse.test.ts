import type { FormState } from "@/lib/actions/form-state";
import { afterAll, describe, expect, it, vi } from "vitest";
import { generate } from "otplib";
import { getURLFromRedirectError } from "next/dist/client/components/redirect";
import { isRedirectError } from "next/dist/client/components/redirect-error";
import { nextRequest, startRequest } from "../helpers/next-request";

vi.mock("next/headers", () => import("../helpers/next-request"));

// RL-1 / IDN-5 / AUD-3, as in sign-in-throttle.test.ts: the limiters' clock is Date.now(), moved instead of waited
// for, starting just after a 15-minute boundary.
const QUARTER_HOUR = 15 * 60_000;
vi.useFakeTimers({ toFake: ["Date"], now: Math.floor(Date.now() / QUARTER_HOUR) * QUARTER_HOUR + 1_000 });

const { signInAction, verifySecondFactorAction } = await import("@/app/(auth)/actions");
const { closeDb, ownerDb } = await import("@/lib/db");
const { hashPassword } = await import("@/lib/auth/embedded/sign-in");
const { accountHash } = await import("@/lib/auth/embedded/auth-events");
const { RATE_LIMIT_CLASSES } = await import("@/lib/ratelimit");
const { createOrg, createUser } = await import("../helpers/tenants");

afterAll(async () => {
  vi.useRealTimers();
  await closeDb();
});

const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
let nextAddress = 0;
const rotatingAddress = () => `203.0.${113 + Math.floor(nextAddress / 250)}.${(nextAddress++ % 250) + 1}`;

async function account(password: string, totp = false) {
  const org = await createOrg("Abuse");
  const userId = await createUser([{ orgId: org.id, role: "member" }]);
  const db = await ownerDb();
  await db.query("insert into idp.credentials (user_id, password_hash) values ($1, $2)", [userId, await hashPassword(password)]);
  if (totp) await db.query("insert into idp.totp_factors (user_id, secret, confirmed_at) values ($1, $2, now())", [userId, SECRET]);
  return { userId, email: `${userId}@example.test`, password };
}

async function run(action: () => Promise<unknown>) {
  try {
    return { state: await action() };
  } catch (error) {
    if (!isRedirectError(error)) throw error;
    return { redirectedTo: getURLFromRedirectError(error), cookies: new Map(nextRequest.cookies) };
  }
}

function passwordAttempt(email: string, password: string, ip: string) {
  startRequest({ "x-forwarded-for": ip, "user-agent": "vitest" });
  const form = new FormData();
  form.set("email", email);
  form.set("password", password);
  form.set("next", "/projects");
  return run(() => signInAction({ ok: null }, form));
}

function codeAttempt(challenge: string, code: string, ip: string) {
  startRequest({ "x-forwarded-for": ip, "user-agent": "vitest" });
  nextRequest.cookies.set("tg_second_factor", { value: challenge, options: {} });
  const form = new FormData();
  form.set("code", code);
  form.set("next", "/projects");
  return run(() => verifySecondFactorAction({ ok: null }, form));
}

const events = async (where: string, param: string) =>
  (await ownerDb()).query<{ kind: string; ip: string | null }>(`select kind, ip from idp.auth_events where ${where} = $1 order by id`, [param]);

describe("sign-in abuse protection (RL-1 auth class, IDN-5, AUD-3)", () => {
  it("an unknown user and a wrong password get the identical answer; both are recorded as failed sign-ins, never with the email", async () => {
    const { email } = await account("right-password-1");
    const wrong = await passwordAttempt(email, "wrong-password", "192.0.2.10");
    const unknown = await passwordAttempt(`nobody-${email}`, "wrong-password", "192.0.2.10");
    // The same answer, apart from the email each form gets back to keep what was typed.
    const answer = (r: typeof wrong) => {
      const state = (r as { state: FormState }).state;
      return { ok: state.ok, message: state.message, fieldErrors: state.fieldErrors };
    };
    expect(answer(wrong)).toEqual(answer(unknown));
    expect(wrong).toEqual({ state: { ok: false, message: "Email or password is incorrect.", values: { email, attempt: expect.any(String) } } });
    expect((unknown as { state: FormState }).state.values?.email).toBe(`nobody-${email}`);
    expect(await events("account_hash", accountHash(email))).toEqual([{ kind: "sign_in.failed", ip: "192.0.2.10" }]);
    expect(await events("account_hash", accountHash(`nobody-${email}`))).toEqual([{ kind: "sign_in.failed", ip: "192.0.2.10" }]);
    const [stored] = await (await ownerDb()).query<{ n: number }>("select count(*)::int as n from idp.auth_events where account_hash like $1 or user_agent like $1", [`%${email}%`]);
    expect(stored!.n).toBe(0);
  });

  it("wrong passwords from rotating addresses lock the account; the lockout is recorded once", async () => {
    const victim = await account("right-password-2");
    for (let i = 0; i < RATE_LIMIT_CLASSES.signInAccount.limit; i++) await passwordAttempt(victim.email, `guess-${i}`, rotatingAddress());
    const refused = await passwordAttempt(victim.email, victim.password, rotatingAddress());
    expect(refused).toEqual({ state: { ok: false, message: expect.stringMatching(/^Too many sign-in attempts/), values: { email: victim.email, attempt: expect.any(String) } } });
    await passwordAttempt(victim.email, victim.password, rotatingAddress());
    const kinds = (await events("account_hash", accountHash(victim.email))).map((e) => e.kind);
    expect(kinds.filter((k) => k === "sign_in.failed")).toHaveLength(RATE_LIMIT_CLASSES.signInAccount.limit);
    expect(kinds.filter((k) => k === "sign_in.locked")).toHaveLength(1);
  });

  it("TOTP guesses from rotating addresses lock the second step of that account; the right code is refused until the window passes", async () => {
    const user = await account("right-password-3", true);
    const first = await passwordAttempt(user.email, user.password, "192.0.2.20");
    expect(first).toMatchObject({ redirectedTo: "/sign-in/verify?next=%2Fprojects" });
    const challenge = (first as { cookies: Map<string, { value: string }> }).cookies.get("tg_second_factor")!.value;
    // No session yet: only the challenge cookie.
    expect((first as { cookies: Map<string, unknown> }).cookies.has("tg_session")).toBe(false);

    for (let i = 0; i < RATE_LIMIT_CLASSES.signInAccount.limit; i++) {
      expect(await codeAttempt(challenge, String(100000 + i), rotatingAddress())).toMatchObject({ state: { ok: false } });
    }
    const right = () => generate({ secret: SECRET, epoch: Math.floor(Date.now() / 1000) });
    expect(await codeAttempt(challenge, await right(), rotatingAddress())).toEqual({ state: { ok: false, message: expect.stringMatching(/^Too many attempts/) } });
    const kinds = (await events("user_id", user.userId)).map((e) => e.kind);
    expect(kinds.filter((k) => k === "second_factor.failed")).toHaveLength(RATE_LIMIT_CLASSES.signInAccount.limit);
    expect(kinds.filter((k) => k === "second_factor.locked")).toHaveLength(1);

    // Not indefinitely: once the window slides past the guesses, the right code signs in (a fresh challenge).
    vi.setSystemTime(Date.now() + 31 * 60_000);
    const again = await passwordAttempt(user.email, user.password, "192.0.2.21");
    const fresh = (again as { cookies: Map<string, { value: string }> }).cookies.get("tg_second_factor")!.value;
    const signedIn = await codeAttempt(fresh, await right(), "192.0.2.21");
    expect(signedIn).toMatchObject({ redirectedTo: "/projects" });
    expect((signedIn as { cookies: Map<string, unknown> }).cookies.has("tg_session")).toBe(true);
    expect((signedIn as { cookies: Map<string, unknown> }).cookies.has("tg_refresh")).toBe(true);
  });
});
