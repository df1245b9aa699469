import "server-only";
import Stripe from "stripe";
import { env } from "@/lib/env";
import { PLANS, type PlanId } from "./plans";

/**
 * BIL-1: the one Stripe client, built from the validated settings, or null when billing is not configured (no
 * STRIPE_SECRET_KEY: the free plan's limits apply and the billing page says so). SSRF-2 for Stripe's API: the SDK's
 * own timeout and bounded retries (it sends an idempotency key with every retried POST). STRIPE_API_URL (tests only,
 * refused in production) points the SDK at a local server standing in for api.stripe.com.
 */
export const STRIPE_TIMEOUT_MS = 10_000;
export const STRIPE_MAX_RETRIES = 1;

let cached: { key: string; api: string | undefined; client: Stripe } | undefined;

export function billingConfigured(): boolean {
  return env.STRIPE_SECRET_KEY !== undefined;
}

export function stripeClient(): Stripe | null {
  const key = env.STRIPE_SECRET_KEY;
  if (!key) return null;
  if (cached && cached.key === key && cached.api === env.STRIPE_API_URL) return cached.client;
  const api = env.STRIPE_API_URL ? new URL(env.STRIPE_API_URL) : null;
  const client = new Stripe(key, {
    timeout: STRIPE_TIMEOUT_MS,
    maxNetworkRetries: STRIPE_MAX_RETRIES,
    telemetry: false,
    appInfo: { name: "TenantGuard" },
    ...(api ? { host: api.hostname, port: api.port || (api.protocol === "https:" ? 443 : 80), protocol: api.protocol === "https:" ? "https" : "http" } : {}),
  });
  cached = { key, api: env.STRIPE_API_URL, client };
  return client;
}

/** The Stripe price that sells a paid plan (its setting in lib/env.ts), or null when it has none. */
export function priceForPlan(plan: PlanId): string | null {
  const setting = PLANS[plan].priceSetting;
  return setting ? (env[setting] ?? null) : null;
}

/** The plan a Stripe price sells (for the webhook adapter), or null for a price that is not ours. */
export function planForPrice(priceId: string): PlanId | null {
  for (const plan of Object.values(PLANS)) {
    if (plan.priceSetting && env[plan.priceSetting] === priceId) return plan.id;
  }
  return null;
}

/** Plans that can be bought now: a paid plan with a configured price. */
export function purchasablePlans(): PlanId[] {
  return Object.values(PLANS)
    .filter((p) => p.priceSetting && env[p.priceSetting])
    .map((p) => p.id);
}

/** What a person is told when Stripe refuses or cannot be reached (never Stripe's own message: it can carry ids). */
export function stripeFailureMessage(error: unknown, doing: string): string {
  if (error instanceof Stripe.errors.StripeConnectionError) return `Stripe could not be reached to ${doing}. Nothing was changed; please try again.`;
  if (error instanceof Stripe.errors.StripeRateLimitError) return `Stripe is busy and could not ${doing}. Nothing was changed; please try again in a minute.`;
  if (error instanceof Stripe.errors.StripeAuthenticationError || error instanceof Stripe.errors.StripePermissionError) {
    return `Billing is misconfigured (Stripe refused our credentials), so we could not ${doing}. Nothing was changed; the operators have been told.`;
  }
  if (error instanceof Stripe.errors.StripeCardError || error instanceof Stripe.errors.StripeInvalidRequestError) {
    return `Stripe refused to ${doing}. Nothing was changed.`;
  }
  return `Stripe failed to ${doing}. Nothing was changed; please try again.`;
}

export function isStripeError(error: unknown): error is InstanceType<typeof Stripe.errors.StripeError> {
  return error instanceof Stripe.errors.StripeError;
}
