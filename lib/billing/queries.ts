import "server-only";
import type { Queryable } from "@/lib/db";
import { readUsage, type Usage } from "./limits";
import type { SubscriptionStatus } from "./plans";

/** BIL-1: what the billing page shows, read under RLS (the org's owners and admins). */
export interface SubscriptionRow {
  plan: string;
  status: SubscriptionStatus;
  current_period_end: Date | null;
  cancel_at_period_end: boolean;
  state_at: Date;
}

export interface InvoiceRow {
  id: string;
  stripe_invoice_id: string;
  number: string | null;
  status: string;
  amount_due: string;
  amount_paid: string;
  currency: string;
  hosted_invoice_url: string | null;
  period_start: Date | null;
  period_end: Date | null;
  state_at: Date;
}

export interface BillingOverview {
  usage: Usage;
  subscription: SubscriptionRow | null;
  hasCustomer: boolean;
  invoices: InvoiceRow[];
}

export async function readBillingOverview(tx: Queryable, options: { invoices?: number } = {}): Promise<BillingOverview> {
  const usage = await readUsage(tx);
  const [subscription] = await tx.query<SubscriptionRow>("select plan, status, current_period_end, cancel_at_period_end, state_at from public.subscriptions");
  const [customer] = await tx.query<{ n: number }>("select count(*)::int as n from public.billing_customers");
  const invoices = await tx.query<InvoiceRow>(
    `select id, stripe_invoice_id, number, status, amount_due::text, amount_paid::text, currency, hosted_invoice_url, period_start, period_end, state_at
       from public.invoices order by state_at desc, id desc limit $1`,
    [options.invoices ?? 24],
  );
  return { usage, subscription: subscription ?? null, hasCustomer: (customer?.n ?? 0) > 0, invoices };
}
