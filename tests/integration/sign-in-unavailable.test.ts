import { afterAll, describe, expect, it, vi } from "vitest";
import { startRequest } from "../helpers/next-request";

vi.mock("next/headers", () => import("../helpers/next-request"));

// A PostgreSQL that is not there (port 9, discard), before any app module reads the configuration: the pool's
// first connect is refused, before lib/db has a transaction to wrap the error in.
process.env.DATABASE_URL = "postgres://app_runtime@127.0.0.1:9/unreachable";
delete process.env.MIGRATION_DATABASE_URL;

const { signInAction } = await import("@/app/(auth)/actions");
const { closeDb } = await import("@/lib/db");

afterAll(closeDb);

describe("sign-in while the database refuses connections", () => {
  it("answers its plain 'temporarily unavailable' message instead of failing the request", async () => {
    startRequest({ "x-forwarded-for": "203.0.113.60", "user-agent": "vitest" });
    const form = new FormData();
    form.set("email", "someone@example.test");
    form.set("password", "any-password");
    // The form keeps the email that was typed (never the password).
    expect(await signInAction({ ok: null }, form)).toEqual({ ok: false, message: "Sign-in is temporarily unavailable. Please try again.", values: { email: "someone@example.test", attempt: expect.any(String) } });
  });
});
