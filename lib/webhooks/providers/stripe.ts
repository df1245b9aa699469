import "server-only";
import { z } from "zod";
import { env } from "@/lib/env";
import { applySubscriptionState, orgForStripeCustomer, recordInvoice } from "@/lib/billing/apply";
import { planForPrice } from "@/lib/billing/stripe";
import { SUBSCRIPTION_STATUSES } from "@/lib/billing/plans";
import { verifyStripe } from "../signatures";
import { setProviderObjectStatus } from "./objects";
import type { EffectContext, EventHandler, WebhookAdapter } from "../types";
import type { Queryable } from "@/lib/db";

const envelope = z.object({
  id: z.string().regex(/^evt_[A-Za-z0-9_]{1,250}$/),
  object: z.literal("event"),
  type: z.string().regex(/^[a-z][a-z0-9_.]{1,127}$/),
  created: z.number().int().positive(),
});

const customerId = z.string().regex(/^cus_[A-Za-z0-9_]{1,250}$/);
const unixTime = z.number().int().nonnegative();
const fromUnix = (seconds: number | null | undefined) => (typeof seconds === "number" ? new Date(seconds * 1000) : null);

const customerEvent = <T extends string>(type: T) =>
  z.object({
    type: z.literal(type),
    created: z.number().int().positive(),
    data: z.object({
      object: z.object({ id: customerId, object: z.literal("customer"), delinquent: z.boolean().nullish() }),
    }),
  });

const customerUpdated = customerEvent("customer.updated");
const customerDeleted = customerEvent("customer.deleted");

/**
 * The Stripe customer we created for an org (provider_objects kind `customer`, linked when billing_customers stores
 * it) follows its events: delinquent or active, or deleted. Stripe does not guarantee order: the event's `created`
 * time orders them (WH-3).
 */
const onCustomerUpdated: EventHandler<z.infer<typeof customerUpdated>> = {
  schema: customerUpdated,
  target: (e) => ({ kind: "customer", externalId: e.data.object.id }),
  apply: (tx, e, ctx) =>
    setProviderObjectStatus(tx, ctx, {
      provider: "stripe",
      kind: "customer",
      externalId: e.data.object.id,
      version: e.created * 1000,
      status: e.data.object.delinquent ? "delinquent" : "active",
      attributes: { delinquent: e.data.object.delinquent === true },
    }),
};

const onCustomerDeleted: EventHandler<z.infer<typeof customerDeleted>> = {
  schema: customerDeleted,
  target: (e) => ({ kind: "customer", externalId: e.data.object.id }),
  apply: (tx, e, ctx) =>
    setProviderObjectStatus(tx, ctx, { provider: "stripe", kind: "customer", externalId: e.data.object.id, version: e.created * 1000, status: "deleted" }),
};

/**
 * BIL-1: every billing effect belongs to the org the kernel resolved from our records (provider_objects, linked from
 * billing_customers). The billing functions check the customer against billing_customers again; a customer linked
 * in provider_objects but absent from billing_customers is not applied (never failed and retried forever).
 */
async function customerIsOrgs(tx: Queryable, customer: string, ctx: EffectContext): Promise<boolean> {
  return (await orgForStripeCustomer(tx, customer)) === ctx.orgId;
}
const NOT_BILLING_CUSTOMER = { applied: false as const, note: "the customer is not in this organisation's billing records" };

// checkout.session.completed: the session we created (client_reference_id and metadata name our org). Its customer
// was stored for the org before the redirect, so the kernel resolves the org from it; the payload's org is only a
// cross-check, recorded in the audit entry when it disagrees. The plan itself arrives with customer.subscription.*.
const checkoutCompleted = z.object({
  type: z.literal("checkout.session.completed"),
  created: z.number().int().positive(),
  data: z.object({
    object: z.object({
      id: z.string().regex(/^cs_[A-Za-z0-9_]{1,250}$/),
      object: z.literal("checkout.session"),
      customer: customerId.nullable(),
      client_reference_id: z.string().max(255).nullish(),
      mode: z.string().max(32).nullish(),
      subscription: z.string().regex(/^sub_[A-Za-z0-9_]{1,250}$/).nullish(),
      payment_status: z.string().max(32).nullish(),
      metadata: z.record(z.string(), z.string().max(500)).nullish(),
    }),
  }),
});

const onCheckoutCompleted: EventHandler<z.infer<typeof checkoutCompleted>> = {
  schema: checkoutCompleted,
  // No customer: nothing of ours to resolve (the kernel stores it as ignored).
  target: (e) => ({ kind: "customer", externalId: e.data.object.customer ?? "" }),
  async apply(tx, e, ctx) {
    const s = e.data.object;
    if (!s.customer || !(await customerIsOrgs(tx, s.customer, ctx))) return NOT_BILLING_CUSTOMER;
    const named = s.client_reference_id ?? s.metadata?.org_id ?? null;
    // AUD-3: a billing change.
    await ctx.audit({
      action: "billing.checkout_completed",
      targetType: "billing_customer",
      targetId: s.customer,
      changes: { session: s.id, subscription: s.subscription ?? null, payment_status: s.payment_status ?? null, ...(named !== null && named !== ctx.orgId ? { payload_org_mismatch: true } : {}) },
    });
    return { applied: true };
  },
};

// customer.subscription.created / updated / deleted: the subscription object as Stripe sends it. The period end is on
// the subscription in API versions before 2025-03 and on each item since; both are read.
const subscriptionEvent = <T extends string>(type: T) =>
  z.object({
    type: z.literal(type),
    created: z.number().int().positive(),
    data: z.object({
      object: z.object({
        id: z.string().regex(/^sub_[A-Za-z0-9_]{1,250}$/),
        object: z.literal("subscription"),
        customer: customerId,
        status: z.enum(SUBSCRIPTION_STATUSES),
        cancel_at_period_end: z.boolean().nullish(),
        current_period_end: unixTime.nullish(),
        items: z.object({
          data: z
            .array(z.object({ price: z.object({ id: z.string().regex(/^price_[A-Za-z0-9_]{1,250}$/) }), current_period_end: unixTime.nullish() }))
            .min(1)
            .max(20),
        }),
      }),
    }),
  });

function onSubscription(type: "customer.subscription.created" | "customer.subscription.updated" | "customer.subscription.deleted") {
  const schema = subscriptionEvent(type);
  const handler: EventHandler<z.infer<typeof schema>> = {
    schema,
    target: (e) => ({ kind: "customer", externalId: e.data.object.customer }),
    async apply(tx, e, ctx) {
      const sub = e.data.object;
      if (!(await customerIsOrgs(tx, sub.customer, ctx))) return NOT_BILLING_CUSTOMER;
      // The plan is the one our price sells; a subscription to a price that is not ours grants nothing.
      const plans = sub.items.data.map((item) => planForPrice(item.price.id));
      const plan = plans.find((p) => p !== null) ?? null;
      if (!plan) return { applied: false, note: "the subscription's price is not one of our plans" };
      const periodEnd = fromUnix(sub.current_period_end ?? sub.items.data[0]!.current_period_end);
      const { applied } = await applySubscriptionState(tx, ctx.orgId, {
        plan,
        status: sub.status,
        stripeCustomerId: sub.customer,
        stripeSubscriptionId: sub.id,
        periodEnd,
        cancelAtPeriodEnd: sub.cancel_at_period_end === true,
        eventCreatedAt: new Date(e.created * 1000),
      });
      if (!applied) return { applied: false, note: "superseded by a newer subscription state" };
      // AUD-3: a billing change.
      await ctx.audit({
        action: type === "customer.subscription.deleted" ? "billing.subscription_ended" : "billing.subscription_changed",
        targetType: "subscription",
        targetId: sub.id,
        changes: { plan, status: sub.status, cancel_at_period_end: sub.cancel_at_period_end === true, current_period_end: periodEnd?.toISOString() ?? null },
      });
      return { applied: true };
    },
  };
  return handler;
}

// invoice.finalized / paid / payment_failed: one row per Stripe invoice id (private.record_invoice).
const invoiceEvent = <T extends string>(type: T) =>
  z.object({
    type: z.literal(type),
    created: z.number().int().positive(),
    data: z.object({
      object: z.object({
        id: z.string().regex(/^in_[A-Za-z0-9_]{1,250}$/),
        object: z.literal("invoice"),
        customer: customerId,
        status: z.enum(["draft", "open", "paid", "uncollectible", "void"]),
        number: z.string().max(100).nullish(),
        amount_due: z.number().int().nonnegative(),
        amount_paid: z.number().int().nonnegative(),
        currency: z.string().regex(/^[A-Za-z]{3}$/),
        hosted_invoice_url: z.string().max(2048).nullish(),
        payment_intent: z.string().regex(/^pi_[A-Za-z0-9_]{1,250}$/).nullish(),
        period_start: unixTime.nullish(),
        period_end: unixTime.nullish(),
      }),
    }),
  });

const INVOICE_ACTION = { "invoice.finalized": "billing.invoice_finalized", "invoice.paid": "billing.payment_succeeded", "invoice.payment_failed": "billing.payment_failed" } as const;

function onInvoice(type: keyof typeof INVOICE_ACTION) {
  const schema = invoiceEvent(type);
  const handler: EventHandler<z.infer<typeof schema>> = {
    schema,
    target: (e) => ({ kind: "customer", externalId: e.data.object.customer }),
    async apply(tx, e, ctx) {
      const inv = e.data.object;
      if (!(await customerIsOrgs(tx, inv.customer, ctx))) return NOT_BILLING_CUSTOMER;
      const url = inv.hosted_invoice_url && /^https:\/\//.test(inv.hosted_invoice_url) ? inv.hosted_invoice_url : null;
      const { outcome } = await recordInvoice(tx, ctx.orgId, {
        stripeCustomerId: inv.customer,
        stripeInvoiceId: inv.id,
        stripePaymentIntentId: inv.payment_intent ?? null,
        number: inv.number ?? null,
        status: inv.status,
        amountDue: inv.amount_due,
        amountPaid: inv.amount_paid,
        currency: inv.currency,
        hostedInvoiceUrl: url,
        periodStart: fromUnix(inv.period_start),
        periodEnd: fromUnix(inv.period_end),
        eventCreatedAt: new Date(e.created * 1000),
      });
      if (outcome === "unchanged") return { applied: false, note: "the invoice is already recorded with this or newer state" };
      // AUD-3: a payment (or its failure), as a billing event.
      await ctx.audit({
        action: INVOICE_ACTION[type],
        targetType: "invoice",
        targetId: inv.id,
        changes: { status: inv.status, amount_due: inv.amount_due, amount_paid: inv.amount_paid, currency: inv.currency.toLowerCase() },
      });
      return { applied: true };
    },
  };
  return handler;
}

export const stripeAdapter: WebhookAdapter<z.infer<typeof envelope>> = {
  provider: "stripe",
  secrets: () => env.STRIPE_WEBHOOK_SECRET,
  verify: verifyStripe,
  envelope,
  identify: (e) => ({ eventId: e.id, eventType: e.type }),
  handlers: {
    "customer.updated": onCustomerUpdated,
    "customer.deleted": onCustomerDeleted,
    "checkout.session.completed": onCheckoutCompleted,
    "customer.subscription.created": onSubscription("customer.subscription.created"),
    "customer.subscription.updated": onSubscription("customer.subscription.updated"),
    "customer.subscription.deleted": onSubscription("customer.subscription.deleted"),
    "invoice.finalized": onInvoice("invoice.finalized"),
    "invoice.paid": onInvoice("invoice.paid"),
    "invoice.payment_failed": onInvoice("invoice.payment_failed"),
  },
};
