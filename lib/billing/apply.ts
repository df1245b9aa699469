import "server-only";
import { z } from "zod";
import type { Queryable } from "@/lib/db";
import { PLAN_IDS, SUBSCRIPTION_STATUSES, type PlanId, type SubscriptionStatus } from "./plans";

/**
 * BIL-1 / WH-3: the writes the Stripe webhook adapter makes, each one SECURITY DEFINER function of
 * supabase/migrations/20261202050000_billing.sql, executable by the tables' owner and by the principal it is granted
 * to (the webhook kernel's), never by request roles. They run in the caller's transaction, so the effect commits
 * with the event's processed mark. Inputs are checked here (Zod) and again by the database.
 */

const stripeId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[A-Za-z0-9_]{1,250}$`));
const orgId = z.string().regex(/^org_[A-Za-z0-9]{1,64}$/);

export const subscriptionStateSchema = z.object({
  plan: z.enum(PLAN_IDS),
  status: z.enum(SUBSCRIPTION_STATUSES),
  stripeCustomerId: stripeId("cus"),
  stripeSubscriptionId: stripeId("sub").nullable(),
  periodEnd: z.date().nullable(),
  cancelAtPeriodEnd: z.boolean().default(false),
  /** The Stripe event's `created` time: older state than stored is never applied. */
  eventCreatedAt: z.date(),
});
export type SubscriptionState = z.input<typeof subscriptionStateSchema>;

/**
 * Stores an org's subscription state when it is newer than what is stored; in the same second, when its status is
 * further along the lifecycle (supabase/migrations/20261202080000_billing_video_webhooks.sql), otherwise the first
 * delivered stays. The customer must be the one created for this org. Returns whether the state was applied.
 */
export async function applySubscriptionState(tx: Queryable, org: string, state: SubscriptionState): Promise<{ applied: boolean }> {
  const s = subscriptionStateSchema.parse(state);
  const [row] = await tx.query<{ applied: boolean }>("select private.apply_subscription_state($1, $2, $3, $4, $5, $6, $7, $8) as applied", [
    orgId.parse(org),
    s.plan,
    s.status,
    s.stripeCustomerId,
    s.stripeSubscriptionId,
    s.periodEnd?.toISOString() ?? null,
    s.cancelAtPeriodEnd,
    s.eventCreatedAt.toISOString(),
  ]);
  return { applied: row?.applied === true };
}

export const invoiceSchema = z.object({
  stripeCustomerId: stripeId("cus"),
  stripeInvoiceId: stripeId("in"),
  stripePaymentIntentId: stripeId("pi").nullable().default(null),
  number: z.string().max(100).nullable().default(null),
  status: z.enum(["draft", "open", "paid", "uncollectible", "void"]),
  amountDue: z.number().int().min(0),
  amountPaid: z.number().int().min(0),
  currency: z.string().regex(/^[A-Za-z]{3}$/),
  hostedInvoiceUrl: z.url({ protocol: /^https$/ }).max(2048).nullable().default(null),
  periodStart: z.date().nullable().default(null),
  periodEnd: z.date().nullable().default(null),
  eventCreatedAt: z.date(),
});
export type InvoiceInput = z.input<typeof invoiceSchema>;

/** Records an invoice (and its payment) once per Stripe invoice id; again with newer state updates that one row. */
export async function recordInvoice(tx: Queryable, org: string, invoice: InvoiceInput): Promise<{ outcome: "inserted" | "updated" | "unchanged" }> {
  const i = invoiceSchema.parse(invoice);
  const [row] = await tx.query<{ outcome: "inserted" | "updated" | "unchanged" }>(
    "select private.record_invoice($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) as outcome",
    [
      orgId.parse(org),
      i.stripeCustomerId,
      i.stripeInvoiceId,
      i.stripePaymentIntentId,
      i.number,
      i.status,
      i.amountDue,
      i.amountPaid,
      i.currency,
      i.hostedInvoiceUrl,
      i.periodStart?.toISOString() ?? null,
      i.periodEnd?.toISOString() ?? null,
      i.eventCreatedAt.toISOString(),
    ],
  );
  return { outcome: row!.outcome };
}

/** WH-1: the org a Stripe customer belongs to, from our own records (billing_customers); null when it is not ours. */
export async function orgForStripeCustomer(tx: Queryable, customerId: string): Promise<string | null> {
  if (!stripeId("cus").safeParse(customerId).success) return null;
  const [row] = await tx.query<{ org_id: string | null }>("select private.billing_org_for_customer($1) as org_id", [customerId]);
  return row?.org_id ?? null;
}

export type { PlanId, SubscriptionStatus };
