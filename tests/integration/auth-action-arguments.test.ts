import { afterAll, describe, expect, it, vi } from "vitest";
import { getURLFromRedirectError } from "next/dist/client/components/redirect";
import { isRedirectError } from "next/dist/client/components/redirect-error";
import { nextRequest, startRequest } from "../helpers/next-request";

vi.mock("next/headers", () => import("../helpers/next-request"));

const { signInAction, switchOrganizationAction } = await import("@/app/(auth)/actions");
const { closeDb, ownerDb } = await import("@/lib/db");
const { hashPassword } = await import("@/lib/auth/embedded/sign-in");
const { SESSION_COOKIE_NAME } = await import("@/lib/auth/cookie-name");
const { createOrg, createUser } = await import("../helpers/tenants");

afterAll(closeDb);

async function redirectOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    if (isRedirectError(error)) return getURLFromRedirectError(error);
    throw error;
  }
  throw new Error("expected a redirect");
}

// VAL-1: server-action ids are public (they are in the pages' scripts), so anyone can post a well-formed action body
// whose arguments are not the form the action expects. That is bad input (a 4xx-style answer), never a 500.
describe("auth actions given arguments that are not their form", () => {
  it.each([["a string", "$K1"], ["an array", ["$K1"]], ["an object", { email: "a@b.test" }], ["null", null]])(
    "the sign-in action answers %s with its invalid-input state and signs nobody in",
    async (_label, argument) => {
      startRequest({ "x-forwarded-for": "203.0.113.77", "user-agent": "vitest" });
      const state = await signInAction({ ok: null }, argument as unknown as FormData);
      expect(state).toEqual({ ok: false, message: "Please correct the highlighted fields." });
      expect(nextRequest.cookies.has(SESSION_COOKIE_NAME)).toBe(false);
    },
  );

  it("switching organisation with something other than a form keeps the session and goes back to the projects", async () => {
    const org = await createOrg("Acme");
    const userId = await createUser([{ orgId: org.id, role: "member" }]);
    await (await ownerDb()).query("insert into idp.credentials (user_id, password_hash) values ($1, $2)", [userId, await hashPassword("right-password-2026")]);
    startRequest({ "x-forwarded-for": "203.0.113.78", "user-agent": "vitest" });
    const form = new FormData();
    form.set("email", `${userId}@example.test`);
    form.set("password", "right-password-2026");
    form.set("next", "/projects");
    expect(await redirectOf(() => signInAction({ ok: null }, form))).toBe("/projects");
    const token = nextRequest.cookies.get(SESSION_COOKIE_NAME)!.value;

    startRequest({ "x-forwarded-for": "203.0.113.78", "user-agent": "vitest", cookie: `${SESSION_COOKIE_NAME}=${token}` });
    nextRequest.cookies.set(SESSION_COOKIE_NAME, { value: token, options: {} });
    expect(await redirectOf(() => switchOrganizationAction("$K1" as unknown as FormData))).toBe("/projects");
    expect(nextRequest.cookies.get(SESSION_COOKIE_NAME)?.value).toBe(token);
  });
});
