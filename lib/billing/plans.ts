/**
 * BIL-1: the plans and their limits, defined once. The database enforces the same numbers (its catalogue,
 * private.billing_plans, is written by supabase/migrations/20261202050000_billing.sql; the test "the database's plan
 * catalogue is lib/billing/plans.ts" fails when the two differ, so a change to a plan is a change here and a
 * migration). Pure data: safe for client components and the documentation.
 */

export const LIMITED_RESOURCES = ["projects", "api_keys", "storage_bytes", "members"] as const;
export type LimitedResource = (typeof LIMITED_RESOURCES)[number];
export type PlanLimits = Record<LimitedResource, number>;

export const PLAN_IDS = ["free", "pro", "business"] as const;
export type PlanId = (typeof PLAN_IDS)[number];

export interface Plan {
  id: PlanId;
  name: string;
  /** Shown on the billing page; Stripe's price decides what is charged. */
  priceLabel: string;
  limits: PlanLimits;
  /** The setting (lib/env.ts) naming this plan's Stripe price id; the free plan has none. */
  priceSetting: "STRIPE_PRICE_PRO" | "STRIPE_PRICE_BUSINESS" | null;
}

const GB = 1024 ** 3;

export const PLANS: Record<PlanId, Plan> = {
  free: { id: "free", name: "Free", priceLabel: "Free", limits: { projects: 10, api_keys: 10, storage_bytes: 1 * GB, members: 5 }, priceSetting: null },
  pro: { id: "pro", name: "Pro", priceLabel: "Monthly subscription", limits: { projects: 100, api_keys: 50, storage_bytes: 50 * GB, members: 25 }, priceSetting: "STRIPE_PRICE_PRO" },
  business: {
    id: "business",
    name: "Business",
    priceLabel: "Monthly subscription",
    limits: { projects: 1000, api_keys: 250, storage_bytes: 1024 * GB, members: 250 },
    priceSetting: "STRIPE_PRICE_BUSINESS",
  },
};

/** Stripe subscription statuses; with the first three the subscription's plan applies, otherwise the free plan. */
export const SUBSCRIPTION_STATUSES = ["active", "trialing", "past_due", "canceled", "incomplete", "incomplete_expired", "unpaid", "paused"] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];
export const PLAN_APPLYING_STATUSES: readonly SubscriptionStatus[] = ["active", "trialing", "past_due"];

export function isPlanId(value: unknown): value is PlanId {
  return typeof value === "string" && (PLAN_IDS as readonly string[]).includes(value);
}

/** The plan whose limits apply to a subscription in this state (none stored: free). */
export function effectivePlan(subscription: { plan: string; status: string } | null | undefined): Plan {
  if (!subscription || !isPlanId(subscription.plan) || !(PLAN_APPLYING_STATUSES as readonly string[]).includes(subscription.status)) return PLANS.free;
  return PLANS[subscription.plan];
}

const RESOURCE_WORDS: Record<LimitedResource, [singular: string, plural: string]> = {
  projects: ["project", "projects"],
  api_keys: ["API key", "API keys"],
  storage_bytes: ["byte of storage", "bytes of storage"],
  members: ["member", "members"],
};

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 4 && bytes % 1024 ** 4 === 0) return `${bytes / 1024 ** 4} TB`;
  if (bytes >= GB) return `${Math.round((bytes / GB) * 10) / 10} GB`;
  if (bytes >= 1024 ** 2) return `${Math.round((bytes / 1024 ** 2) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KB`;
  return `${bytes} bytes`;
}

/** "5 projects", "1 API key", "1 GB of storage". */
export function formatLimit(resource: LimitedResource, limit: number): string {
  if (resource === "storage_bytes") return `${formatBytes(limit)} of storage`;
  const [one, many] = RESOURCE_WORDS[resource];
  return `${limit} ${limit === 1 ? one : many}`;
}

/** What a refused create says (API detail and form error alike): "Plan limit reached: 10 projects on the Free plan. …" */
export function planLimitMessage(resource: LimitedResource, limit: number, planId: string): string {
  const plan = isPlanId(planId) ? PLANS[planId].name : planId;
  const what = resource === "projects" ? "Delete a project" : resource === "api_keys" ? "Delete or revoke a key" : resource === "members" ? "Remove a member" : "Delete documents";
  return `Plan limit reached: ${formatLimit(resource, limit)} on the ${plan} plan. ${what} or upgrade the plan.`;
}
