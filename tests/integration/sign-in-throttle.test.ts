import { afterAll, describe, expect, it, vi } from "vitest";
import { getURLFromRedirectError } from "next/dist/client/components/redirect";
import { isRedirectError } from "next/dist/client/components/redirect-error";
import { nextRequest, startRequest } from "../helpers/next-request";

vi.mock("next/headers", () => import("../helpers/next-request"));

// IDN-5 / RL-1: the limits are windows of Date.now() on every backend (memory and @upstash/ratelimit's script), so
// the test moves that clock instead of waiting. Installed before the app's modules load, so they all read it. It
// stands still unless moved, and starts just after a 15-minute boundary (a boundary of every sign-in window): a
// sliding window weighs the previous window by how far into the current one we are, so the start is pinned.
const QUARTER_HOUR = 15 * 60_000;
vi.useFakeTimers({ toFake: ["Date"], now: Math.floor(Date.now() / QUARTER_HOUR) * QUARTER_HOUR + 1_000 });

const { signInAction } = await import("@/app/(auth)/actions");
const { sessionCookieOptions } = await import("@/lib/auth/current");
const { closeDb, ownerDb } = await import("@/lib/db");
const { hashPassword } = await import("@/lib/auth/embedded/sign-in");
const { RATE_LIMIT_CLASSES } = await import("@/lib/ratelimit");
const { createOrg, createUser, uid } = await import("../helpers/tenants");
const { SESSION_COOKIE_NAME } = await import("@/lib/auth/cookie-name");

afterAll(async () => {
  vi.useRealTimers();
  await closeDb();
});

async function account(password: string) {
  const org = await createOrg("Acme");
  const userId = await createUser([{ orgId: org.id, role: "member" }]);
  await (await ownerDb()).query("insert into idp.credentials (user_id, password_hash) values ($1, $2)", [userId, await hashPassword(password)]);
  return { email: `${userId}@example.test`, password };
}

// A fresh documentation-range address per call, as an attacker rotating through a pool would have.
let nextAddress = 0;
const rotatingAddress = () => `198.51.${100 + Math.floor(nextAddress / 250)}.${(nextAddress++ % 250) + 1}`;

/** One POST of the sign-in form through the real server action, from `ip`. */
async function attempt(email: string, password: string, ip: string, headers: Record<string, string> = {}) {
  startRequest({ "x-forwarded-for": ip, "user-agent": "vitest", ...headers });
  const form = new FormData();
  form.set("email", email);
  form.set("password", password);
  form.set("next", "/projects");
  try {
    return { state: await signInAction({ ok: null }, form) };
  } catch (error) {
    if (!isRedirectError(error)) throw error;
    return { redirectedTo: getURLFromRedirectError(error), cookie: nextRequest.cookies.get(SESSION_COOKIE_NAME) };
  }
}

// A refused sign-in keeps the typed email (and a fresh attempt id), never the password.
const KEPT = { email: expect.any(String), attempt: expect.any(String) };
const WRONG = { ok: false, message: "Email or password is incorrect.", values: KEPT };
const LOCKED = { ok: false, message: expect.stringMatching(/^Too many sign-in attempts\. Try again in \d+ minutes?\.$/), values: KEPT };
const minutes = (n: number) => n * 60_000;

describe("sign-in lockout through the sign-in action (IDN-5, RL-1)", () => {
  it("rotating addresses meet the per-account limit: the right password is then refused, others are unaffected, and the lock ends", async () => {
    const victim = await account("victim-password-1");
    const bystander = await account("bystander-password-1");
    const budget = RATE_LIMIT_CLASSES.signInAccount.limit;
    expect(budget).toBeGreaterThan(RATE_LIMIT_CLASSES.signIn.limit); // so only address rotation meets it

    for (let i = 0; i < budget; i++) expect((await attempt(victim.email, `guess-${i}`, rotatingAddress())).state).toEqual(WRONG);

    // From yet another address, with the right password: refused, and the password is not even checked.
    expect((await attempt(victim.email, victim.password, rotatingAddress())).state).toEqual(LOCKED);
    // Another account, from the address the attack last used, signs in.
    const other = await attempt(bystander.email, bystander.password, "198.51.100.1");
    expect(other.redirectedTo).toBe("/projects");
    expect(other.cookie?.value).toMatch(/^eyJ/);

    // Still locked a little later; free at most 30 minutes after the last counted attempt (two 15-minute windows of
    // the sliding window), so a stranger holds the lock only while spending attempts on it.
    vi.setSystemTime(Date.now() + minutes(5));
    expect((await attempt(victim.email, victim.password, rotatingAddress())).state).toEqual(LOCKED);
    vi.setSystemTime(Date.now() + minutes(30));
    expect((await attempt(victim.email, victim.password, rotatingAddress())).redirectedTo).toBe("/projects");
  });

  it("one address is locked out of one account after its own, smaller budget; other addresses are not", async () => {
    const victim = await account("victim-password-2");
    const ip = rotatingAddress();
    for (let i = 0; i < RATE_LIMIT_CLASSES.signIn.limit; i++) expect((await attempt(victim.email, `guess-${i}`, ip)).state).toEqual(WRONG);
    expect((await attempt(victim.email, victim.password, ip)).state).toEqual(LOCKED);
    expect((await attempt(victim.email, victim.password, rotatingAddress())).redirectedTo).toBe("/projects");
  });

  it("the lockout message does not reveal whether the account exists", async () => {
    const nobody = `nobody-${uid()}@example.test`;
    for (let i = 0; i < RATE_LIMIT_CLASSES.signInAccount.limit; i++) expect((await attempt(nobody, `guess-${i}`, rotatingAddress())).state).toEqual(WRONG);
    expect((await attempt(nobody, "anything", rotatingAddress())).state).toEqual(LOCKED);
  });
});

describe("session cookie (IDN-4)", () => {
  it("is HttpOnly and SameSite=Lax, and Secure when the request arrived over https", async () => {
    const user = await account("cookie-password-1");
    const plain = await attempt(user.email, user.password, rotatingAddress());
    expect(plain.cookie?.options).toMatchObject({ httpOnly: true, sameSite: "lax", secure: false, path: "/" });
    const https = await attempt(user.email, user.password, rotatingAddress(), { "x-forwarded-proto": "https" });
    expect(https.cookie?.options).toMatchObject({ httpOnly: true, sameSite: "lax", secure: true });
  });

  it("is Secure whenever APP_URL is https, whatever the request says", () => {
    expect(sessionCookieOptions(new Date(), new Headers({ "x-forwarded-proto": "http" }), true).secure).toBe(true);
    expect(sessionCookieOptions(new Date(), new Headers(), false).secure).toBe(false);
  });
});
