import { describe, expect, it } from "vitest";
import { ConfigurationError, parseEnv } from "@/lib/env";
import { PLANS, effectivePlan, formatLimit, planLimitMessage } from "@/lib/billing/plans";
import { planLimitErrorOf } from "@/lib/billing/limits";
import { PRODUCTION_ENV } from "../helpers/production-env";

describe("BIL-1: plans and their limits", () => {
  it("every paid plan allows more of every resource than the free plan, and names its Stripe price setting", () => {
    for (const plan of [PLANS.pro, PLANS.business]) {
      for (const [resource, limit] of Object.entries(plan.limits)) expect(limit, `${plan.id} ${resource}`).toBeGreaterThan(PLANS.free.limits[resource as keyof typeof plan.limits]);
      expect(plan.priceSetting).toMatch(/^STRIPE_PRICE_/);
    }
    expect(PLANS.free.priceSetting).toBeNull();
  });

  it.each([
    [null, "free"],
    [{ plan: "pro", status: "active" }, "pro"],
    [{ plan: "pro", status: "trialing" }, "pro"],
    [{ plan: "business", status: "past_due" }, "business"],
    [{ plan: "pro", status: "canceled" }, "free"],
    [{ plan: "pro", status: "unpaid" }, "free"],
    [{ plan: "pro", status: "incomplete" }, "free"],
    [{ plan: "enterprise", status: "active" }, "free"],
  ])("the effective plan of %j is %s (the database's rule too)", (subscription, plan) => {
    expect(effectivePlan(subscription).id).toBe(plan);
  });

  it("limit messages name the limit and the plan", () => {
    expect(planLimitMessage("projects", 10, "free")).toBe("Plan limit reached: 10 projects on the Free plan. Delete a project or upgrade the plan.");
    expect(formatLimit("api_keys", 1)).toBe("1 API key");
    expect(formatLimit("storage_bytes", 50 * 1024 ** 3)).toBe("50 GB of storage");
  });

  it("the database's TG402 becomes a plan_limit error (402); any other error is left alone", () => {
    const refused = planLimitErrorOf(Object.assign(new Error("x"), { code: "TG402", detail: JSON.stringify({ resource: "api_keys", limit: 10, plan: "free" }) }));
    expect(refused).toMatchObject({ code: "plan_limit", resource: "api_keys", limit: 10, message: expect.stringContaining("10 API keys on the Free plan") });
    // Without a readable detail it still refuses (fail closed).
    expect(planLimitErrorOf(Object.assign(new Error("x"), { code: "TG402" }))).toMatchObject({ code: "plan_limit" });
    expect(planLimitErrorOf(Object.assign(new Error("x"), { code: "23505" }))).toBeNull();
    expect(planLimitErrorOf("TG402")).toBeNull();
  });
});

describe("BIL-1: Stripe settings", () => {
  it("STRIPE_API_URL (a stand-in for api.stripe.com) is refused in production and off loopback", () => {
    expect(() => parseEnv({ ...PRODUCTION_ENV, STRIPE_API_URL: "http://127.0.0.1:12111" })).toThrow(/STRIPE_API_URL/);
    expect(() => parseEnv({ NODE_ENV: "test", STRIPE_API_URL: "http://stripe.example.com" })).toThrow(ConfigurationError);
    expect(parseEnv({ NODE_ENV: "test", STRIPE_API_URL: "http://127.0.0.1:12111" }).STRIPE_API_URL).toBe("http://127.0.0.1:12111");
  });

  it("keys and prices must look like Stripe's; production with a key needs a price", () => {
    expect(() => parseEnv({ NODE_ENV: "test", STRIPE_SECRET_KEY: "pk_test_abcdefgh12" })).toThrow(/STRIPE_SECRET_KEY/);
    expect(() => parseEnv({ NODE_ENV: "test", STRIPE_PRICE_PRO: "prod_123" })).toThrow(/STRIPE_PRICE_PRO/);
    expect(() => parseEnv({ ...PRODUCTION_ENV, STRIPE_SECRET_KEY: "sk_live_abcdefgh12345" })).toThrow(/no plan has a price/);
    expect(parseEnv({ ...PRODUCTION_ENV, STRIPE_SECRET_KEY: "sk_live_abcdefgh12345", STRIPE_PRICE_PRO: "price_123" }).STRIPE_PRICE_PRO).toBe("price_123");
  });
});
