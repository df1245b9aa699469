import { describe, expect, it } from "vitest";
import { ConfigurationError, parseEnv } from "@/lib/env";
import { timestampWindow } from "@/lib/webhooks/signatures";

const svix = (n: number) => `whsec_${Buffer.alloc(32, n).toString("base64")}`;

describe("WH-1 configuration: several active secrets per provider, a bounded tolerance", () => {
  it("reads comma- and whitespace-separated secret lists, every entry kept (rotation)", () => {
    const env = parseEnv({
      CLERK_WEBHOOK_SECRET: `${svix(1)} ${svix(2)}`,
      STRIPE_WEBHOOK_SECRET: "whsec_aaaaaaaaaaaaaaaaaaaa, whsec_bbbbbbbbbbbbbbbbbbbb",
      NYLAS_WEBHOOK_SECRET: "\n0123456789abcdef0123\n",
    });
    expect(env.CLERK_WEBHOOK_SECRET).toEqual([svix(1), svix(2)]);
    expect(env.STRIPE_WEBHOOK_SECRET).toEqual(["whsec_aaaaaaaaaaaaaaaaaaaa", "whsec_bbbbbbbbbbbbbbbbbbbb"]);
    expect(env.NYLAS_WEBHOOK_SECRET).toEqual(["0123456789abcdef0123"]);
    expect(env.MUX_WEBHOOK_SECRET).toEqual([]);
    expect(env).toMatchObject({ WEBHOOK_TOLERANCE_SECONDS: 300, WEBHOOK_MAX_BODY_BYTES: 1024 * 1024, WEBHOOK_RETENTION_DAYS: 30 });
  });

  it("refuses a malformed secret without echoing it, a tolerance over 300 s and a retention under 4 days", () => {
    const refusal = (source: Record<string, string>) => {
      try {
        parseEnv(source);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return (error as Error).message;
      }
      throw new Error("accepted");
    };
    const message = refusal({ STRIPE_WEBHOOK_SECRET: "sk_live_not_a_webhook_secret_1234" });
    expect(message).toContain("STRIPE_WEBHOOK_SECRET");
    expect(message).not.toContain("sk_live_not_a_webhook_secret_1234");
    expect(refusal({ WEBHOOK_TOLERANCE_SECONDS: "301" })).toContain("WEBHOOK_TOLERANCE_SECONDS");
    expect(refusal({ WEBHOOK_RETENTION_DAYS: "3" })).toContain("WEBHOOK_RETENTION_DAYS");
  });
});

describe("WH-1: the timestamp window holds in both directions", () => {
  it.each([
    [1000 - 300, null],
    [1000 + 300, null],
    [1000 - 301, "stale_timestamp"],
    [1000 + 301, "future_timestamp"],
  ])("signed at %i against now 1000 with 300 s: %s", (signedAt, expected) => {
    expect(timestampWindow(signedAt, 1000, 300)).toBe(expected);
  });
});
