import { Suspense } from "react";
import type { Metadata } from "next";
import { definePage } from "@/lib/pages/define-page";
import { readBillingOverview, type InvoiceRow } from "@/lib/billing/queries";
import { billingConfigured, purchasablePlans } from "@/lib/billing/stripe";
import { LIMITED_RESOURCES, PLANS, PLAN_APPLYING_STATUSES, formatLimit } from "@/lib/billing/plans";
import { UsageMeter } from "@/components/billing/usage-meter";
import { ManageBillingForm, UpgradeForm } from "@/components/billing/billing-actions";
import { CheckoutNotice } from "@/components/billing/checkout-notice";
import { formatDate } from "@/lib/format/date";

export const metadata: Metadata = { title: "Billing" };

const day = (d: Date | string | null) => formatDate(d);

function money(minor: string, currency: string): string {
  try {
    return new Intl.NumberFormat("en-GB", { style: "currency", currency: currency.toUpperCase() }).format(Number(minor) / 100);
  } catch {
    return `${(Number(minor) / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

const STATUS_TEXT: Record<string, string> = {
  active: "Active",
  trialing: "Trial",
  past_due: "Payment past due",
  canceled: "Cancelled",
  incomplete: "Awaiting first payment",
  incomplete_expired: "Checkout expired",
  unpaid: "Unpaid",
  paused: "Paused",
};

function Invoices({ invoices }: { invoices: InvoiceRow[] }) {
  if (invoices.length === 0) return <p className="text-sm text-slate-600">No invoices yet.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full min-w-[20rem] text-left text-sm">
        <caption className="sr-only">Invoices, newest first</caption>
        <thead className="text-slate-500">
          <tr>
            <th scope="col" className="py-1 pr-3 font-medium">Invoice</th>
            <th scope="col" className="py-1 pr-3 font-medium">Period</th>
            <th scope="col" className="py-1 pr-3 font-medium">Amount</th>
            <th scope="col" className="py-1 font-medium">Status</th>
          </tr>
        </thead>
        <tbody>
          {invoices.map((i) => (
            <tr key={i.id} className="border-t border-slate-100" data-testid="invoice-row">
              <td className="py-1 pr-3">
                {i.hosted_invoice_url ? (
                  <a href={i.hosted_invoice_url} className="text-indigo-700 underline" rel="noopener noreferrer" target="_blank">
                    {i.number ?? i.stripe_invoice_id}
                  </a>
                ) : (
                  (i.number ?? i.stripe_invoice_id)
                )}
              </td>
              <td className="py-1 pr-3">{i.period_start ? `${day(i.period_start)} – ${day(i.period_end)}` : day(i.state_at)}</td>
              <td className="py-1 pr-3">{money(i.status === "paid" ? i.amount_paid : i.amount_due, i.currency)}</td>
              <td className="py-1 capitalize">{i.status}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * BIL-1: the org's plan, its subscription's status, usage against every limit (what the database enforces), invoices,
 * and for owners the way to upgrade or manage billing in Stripe. Owners and admins see it (TEN-3); others: no page.
 */
export default definePage(
  {
    name: "billing.overview", title: "Billing",
    minimumRole: "admin",
    read: async ({ tx }) => ({ ...(await readBillingOverview(tx)), configured: billingConfigured(), purchasable: purchasablePlans() }),
  },
  function BillingPage({ data, session }) {
    const { usage, subscription, invoices, configured, purchasable, hasCustomer } = data;
    const owner = session.orgRole === "owner";
    const lapsed = subscription && !PLAN_APPLYING_STATUSES.includes(subscription.status);
    const upgrades = purchasable.filter((p) => PLANS[p].limits.projects > usage.plan.limits.projects);
    return (
      <div className="flex flex-col gap-6">
        <div>
          <h1 className="text-2xl font-semibold">Billing</h1>
          <p className="text-sm text-slate-600">Your organisation&rsquo;s plan and what it uses of each limit. Limits are enforced as things are created.</p>
        </div>

        <Suspense fallback={null}>
          <CheckoutNotice />
        </Suspense>

        {!configured ? (
          <p role="status" className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950" data-testid="billing-not-configured">
            Billing is not configured on this deployment, so plans cannot be bought here. The Free plan&rsquo;s limits apply.
          </p>
        ) : null}

        <section aria-labelledby="plan" className="flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
          <h2 id="plan" className="text-lg font-medium">
            Plan
          </h2>
          <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-slate-500">Plan</dt>
            <dd data-testid="billing-plan">{usage.plan.name}</dd>
            <dt className="text-slate-500">Status</dt>
            <dd data-testid="billing-status">{subscription ? (STATUS_TEXT[subscription.status] ?? subscription.status) : "Free (no subscription)"}</dd>
            {subscription?.current_period_end ? (
              <>
                <dt className="text-slate-500">{subscription.cancel_at_period_end ? "Ends" : "Renews"}</dt>
                <dd>{day(subscription.current_period_end)}</dd>
              </>
            ) : null}
          </dl>
          {lapsed ? (
            <p role="status" className="text-sm text-amber-900">
              The {PLANS[subscription.plan as keyof typeof PLANS]?.name ?? subscription.plan} subscription is not active, so the Free plan&rsquo;s limits apply.
            </p>
          ) : null}
          {configured && owner ? (
            <div className="flex flex-col gap-3 sm:flex-row sm:flex-wrap sm:items-start">
              {upgrades.map((p) => (
                <UpgradeForm key={p} plan={p} label={`Upgrade to ${PLANS[p].name}`} />
              ))}
              {hasCustomer ? <ManageBillingForm /> : null}
            </div>
          ) : null}
          {configured && !owner ? <p className="text-sm text-slate-600">Only the organisation&rsquo;s owners can change the plan.</p> : null}
        </section>

        <section aria-labelledby="usage" className="flex flex-col gap-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
          <h2 id="usage" className="text-lg font-medium">
            Usage
          </h2>
          {LIMITED_RESOURCES.map((r) => (
            <UsageMeter key={r} resource={r} used={usage.used[r]} limit={usage.limits[r]} />
          ))}
          <p className="text-xs text-slate-500">
            {usage.plan.name} plan: {LIMITED_RESOURCES.map((r) => formatLimit(r, usage.limits[r])).join(", ")}. Revoked API keys do not count.
          </p>
        </section>

        <section aria-labelledby="invoices" className="flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
          <h2 id="invoices" className="text-lg font-medium">
            Invoices
          </h2>
          <Invoices invoices={invoices} />
        </section>
      </div>
    );
  },
);
