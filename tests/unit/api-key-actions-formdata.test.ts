import { describe, expect, it } from "vitest";
import { createApiKeyAction, rollApiKeyAction } from "@/app/(dashboard)/settings/api-keys/actions";
import { formDataOnly } from "@/lib/api-keys/form-state";

// KEY-1: a secret travels server -> browser once. The create and roll actions take the form's data and nothing
// else, so no previous state (which held a secret) is ever an argument: Next.js sends only the arguments an action
// declares, and its dev server logs every action's arguments.

const previous = { ok: true, message: "API key created.", secret: { name: "Old", prefix: "tg_test_abcd", plaintext: `tg_test_${"S".repeat(43)}` } };

describe("API-key actions that reveal a secret take FormData only", () => {
  it.each([
    ["create", createApiKeyAction],
    ["roll", rollApiKeyAction],
  ] as const)("%s declares one parameter and refuses a previous state in its place, echoing nothing", async (_name, action) => {
    expect(action.length).toBe(1);
    const call = action as unknown as (...args: unknown[]) => Promise<unknown>;
    for (const args of [[previous], [previous, new FormData()], [JSON.stringify(previous)]]) {
      const answer = await call(...args);
      expect(answer).toEqual(formDataOnly);
      expect(JSON.stringify(answer)).not.toContain(previous.secret.plaintext);
    }
  });
});
