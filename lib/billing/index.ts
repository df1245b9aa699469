import "server-only";

/** BIL-1: plans and limits (plans.ts), the database's limit guard (limits.ts), Stripe (stripe.ts, checkout.ts), and the writes the webhook adapter makes (apply.ts). */
export { PLANS, LIMITED_RESOURCES, effectivePlan, formatLimit, formatBytes, planLimitMessage, type PlanId, type Plan, type LimitedResource } from "./plans";
export { PlanLimitError, planLimitErrorOf, withinPlanLimit, readUsage, storageQuota, type Usage } from "./limits";
export { applySubscriptionState, recordInvoice, orgForStripeCustomer, type SubscriptionState, type InvoiceInput } from "./apply";
export { billingConfigured, stripeClient, priceForPlan, planForPrice, purchasablePlans } from "./stripe";
export { startCheckout, openBillingPortal, BILLING_PATH } from "./checkout";
export { readBillingOverview, type BillingOverview, type InvoiceRow, type SubscriptionRow } from "./queries";
