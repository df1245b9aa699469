import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withTenant, type Queryable } from "@/lib/db";
import { applySubscriptionState, orgForStripeCustomer, recordInvoice, type InvoiceInput, type SubscriptionState } from "@/lib/billing/apply";
import { readBillingOverview } from "@/lib/billing/queries";
import { orgWithMembers, uid } from "../helpers/tenants";
import { inRolledBackOwnerTransaction } from "../helpers/owner-scratch";

afterAll(closeDb);

/** An org with its Stripe customer stored (what the checkout action does first). */
async function billedOrg(name: string) {
  const t = await orgWithMembers(name);
  const customer = `cus_${uid()}`;
  await (await ownerDb()).query("insert into public.billing_customers (org_id, stripe_customer_id, created_by) values ($1, $2, $3)", [t.org.id, customer, t.owner.userId]);
  return { ...t, customer };
}

/** As the webhook kernel will: the owner's rights on these functions, with the service claims of the event's org. */
function asWebhook<T>(orgId: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return (async () =>
    (await ownerDb()).transaction(async (tx) => {
      await tx.query("select set_config('request.jwt.claims', $1, true)", [JSON.stringify({ sub: "service:webhooks", o: { id: orgId, rol: "service" } })]);
      return fn(tx);
    }))();
}

const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000);

async function stored(orgId: string) {
  const [row] = await (await ownerDb()).query<{ plan: string; status: string; stripe_subscription_id: string; state_at: Date }>(
    "select plan, status, stripe_subscription_id, state_at from public.subscriptions where org_id = $1",
    [orgId],
  );
  return row;
}

describe("BIL-1 / WH-3: subscription state from Stripe events, out-of-order safe", () => {
  it("events delivered newest-first end in the newest state; the older ones are not applied", async () => {
    const { org, customer } = await billedOrg("Order");
    const sub = `sub_${uid()}`;
    const events: SubscriptionState[] = [
      { plan: "pro", status: "incomplete", stripeCustomerId: customer, stripeSubscriptionId: sub, periodEnd: null, eventCreatedAt: at(30) },
      { plan: "pro", status: "active", stripeCustomerId: customer, stripeSubscriptionId: sub, periodEnd: at(-43_200), eventCreatedAt: at(20) },
      { plan: "business", status: "active", stripeCustomerId: customer, stripeSubscriptionId: sub, periodEnd: at(-43_200), eventCreatedAt: at(10) },
    ];
    const applied = [];
    for (const event of [...events].reverse()) applied.push((await asWebhook(org.id, (tx) => applySubscriptionState(tx, org.id, event))).applied);
    expect(applied).toEqual([true, false, false]);
    expect(await stored(org.id)).toMatchObject({ plan: "business", status: "active", stripe_subscription_id: sub });
    expect(new Date((await stored(org.id))!.state_at).getTime()).toBe(events[2]!.eventCreatedAt.getTime());
  });

  it("in order, every event applies and the last one wins; the same event again changes nothing", async () => {
    const { org, customer, owner } = await billedOrg("In order");
    const base = { stripeCustomerId: customer, stripeSubscriptionId: `sub_${uid()}`, periodEnd: null };
    expect(await asWebhook(org.id, (tx) => applySubscriptionState(tx, org.id, { ...base, plan: "pro", status: "active", eventCreatedAt: at(5) }))).toEqual({ applied: true });
    const cancelled = { ...base, plan: "pro" as const, status: "canceled" as const, eventCreatedAt: at(1) };
    expect(await asWebhook(org.id, (tx) => applySubscriptionState(tx, org.id, cancelled))).toEqual({ applied: true });
    expect(await asWebhook(org.id, (tx) => applySubscriptionState(tx, org.id, cancelled))).toEqual({ applied: false });
    const overview = await withTenant(owner.claims, (tx) => readBillingOverview(tx));
    expect(overview).toMatchObject({ subscription: { plan: "pro", status: "canceled" }, usage: { plan: { id: "free" } }, hasCustomer: true });
  });

  it("refuses a customer that is not the org's own, and claims of another org; nothing is stored", async () => {
    const a = await billedOrg("Mine");
    const b = await billedOrg("Theirs");
    const state = { plan: "business" as const, status: "active" as const, stripeSubscriptionId: null, periodEnd: null, eventCreatedAt: new Date() };
    await expect(asWebhook(a.org.id, (tx) => applySubscriptionState(tx, a.org.id, { ...state, stripeCustomerId: b.customer }))).rejects.toMatchObject({ code: "42501" });
    await expect(asWebhook(b.org.id, (tx) => applySubscriptionState(tx, a.org.id, { ...state, stripeCustomerId: a.customer }))).rejects.toMatchObject({ code: "42501" });
    expect(await stored(a.org.id)).toBeUndefined();
  });

  it("the customer id resolves to its org from our own records; unknown or malformed ids resolve to nothing", async () => {
    const { org, customer } = await billedOrg("Resolve");
    const owner = await ownerDb();
    expect(await owner.transaction((tx) => orgForStripeCustomer(tx, customer))).toBe(org.id);
    expect(await owner.transaction((tx) => orgForStripeCustomer(tx, `cus_${uid()}`))).toBeNull();
    expect(await owner.transaction((tx) => orgForStripeCustomer(tx, "' or 1=1 --"))).toBeNull();
  });

  it("a principal granted only EXECUTE (as the webhook principal will be) can apply state but read or write no billing table", async () => {
    const { org, customer } = await billedOrg("Narrow");
    const role = `billing_probe_${uid()}`;
    const outcome = await inRolledBackOwnerTransaction(async (tx) => {
      await tx.exec(`create role ${role} nologin noinherit;
        grant usage on schema private, auth to ${role};
        grant execute on function auth.jwt(), private.org_id() to ${role};
        grant execute on function private.apply_subscription_state(text, text, text, text, text, timestamptz, boolean, timestamptz) to ${role};`);
      await tx.query("select set_config('request.jwt.claims', $1, true)", [JSON.stringify({ sub: "service:webhooks", o: { id: org.id, rol: "service" } })]);
      await tx.exec(`set local role ${role}`);
      const { applied } = await applySubscriptionState(tx, org.id, { plan: "pro", status: "active", stripeCustomerId: customer, stripeSubscriptionId: null, periodEnd: null, eventCreatedAt: new Date() });
      await tx.exec("savepoint s");
      const read = await tx.query("select * from public.subscriptions").then(
        () => "read",
        (e: { code?: string }) => e.code,
      );
      await tx.exec("rollback to savepoint s");
      const [row] = await tx.query<{ plan: string }>("select plan from private.plan_limits_of($1)", [org.id]).catch((e: { code?: string }) => [{ plan: e.code! }]);
      return { applied, read, row };
    });
    expect(outcome).toEqual({ applied: true, read: "42501", row: { plan: "42501" } });
  });
});

describe("BIL-1: invoices and payments are recorded once per Stripe id", () => {
  // One delivery of one event: the same `created` time every time it is redelivered.
  const created = at(10);
  const invoice = (customer: string, over: Partial<InvoiceInput> = {}): InvoiceInput => ({
    stripeCustomerId: customer,
    stripeInvoiceId: "in_placeholder",
    stripePaymentIntentId: `pi_${uid()}`,
    number: "TG-0001",
    status: "open",
    amountDue: 2900,
    amountPaid: 0,
    currency: "EUR",
    hostedInvoiceUrl: "https://invoice.stripe.com/i/acct_1/test",
    periodStart: at(43_200),
    periodEnd: at(0),
    eventCreatedAt: created,
    ...over,
  });
  const count = async (stripeInvoiceId: string) =>
    (await (await ownerDb()).query<{ n: number }>("select count(*)::int as n from public.invoices where stripe_invoice_id = $1", [stripeInvoiceId]))[0]!.n;

  it("recording the same invoice twice (or 10 times at once) is one row", async () => {
    const { org, customer } = await billedOrg("Invoices");
    const id = `in_${uid()}`;
    expect(await asWebhook(org.id, (tx) => recordInvoice(tx, org.id, invoice(customer, { stripeInvoiceId: id })))).toEqual({ outcome: "inserted" });
    expect(await asWebhook(org.id, (tx) => recordInvoice(tx, org.id, invoice(customer, { stripeInvoiceId: id })))).toEqual({ outcome: "unchanged" });
    const concurrent = `in_${uid()}`;
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => asWebhook(org.id, (tx) => recordInvoice(tx, org.id, invoice(customer, { stripeInvoiceId: concurrent })))));
    expect(outcomes.filter((o) => o.outcome === "inserted")).toHaveLength(1);
    expect(await count(id)).toBe(1);
    expect(await count(concurrent)).toBe(1);
  });

  it("newer state of the invoice updates its one row (open -> paid); an older delivery after it changes nothing", async () => {
    const { org, customer, admin } = await billedOrg("Paid");
    const id = `in_${uid()}`;
    await asWebhook(org.id, (tx) => recordInvoice(tx, org.id, invoice(customer, { stripeInvoiceId: id })));
    const paid = invoice(customer, { stripeInvoiceId: id, status: "paid", amountPaid: 2900, eventCreatedAt: at(5) });
    expect(await asWebhook(org.id, (tx) => recordInvoice(tx, org.id, paid))).toEqual({ outcome: "updated" });
    expect(await asWebhook(org.id, (tx) => recordInvoice(tx, org.id, invoice(customer, { stripeInvoiceId: id, status: "open", eventCreatedAt: at(7) })))).toEqual({
      outcome: "unchanged",
    });
    const overview = await withTenant(admin.claims, (tx) => readBillingOverview(tx));
    expect(overview.invoices).toEqual([expect.objectContaining({ stripe_invoice_id: id, status: "paid", amount_paid: "2900", currency: "eur" })]);
    expect(await count(id)).toBe(1);
  });

  it("an invoice id recorded for one org is refused for another, and the org's admins alone read its invoices", async () => {
    const a = await billedOrg("Invoice A");
    const b = await billedOrg("Invoice B");
    const id = `in_${uid()}`;
    await asWebhook(a.org.id, (tx) => recordInvoice(tx, a.org.id, invoice(a.customer, { stripeInvoiceId: id })));
    await expect(asWebhook(b.org.id, (tx) => recordInvoice(tx, b.org.id, invoice(b.customer, { stripeInvoiceId: id, eventCreatedAt: new Date() })))).rejects.toMatchObject({
      code: "42501",
    });
    expect((await withTenant(b.admin.claims, (tx) => readBillingOverview(tx))).invoices).toEqual([]);
    expect(await withTenant(a.member.claims, (tx) => tx.query("select * from public.invoices"))).toEqual([]);
    expect((await withTenant(a.admin.claims, (tx) => readBillingOverview(tx))).invoices).toHaveLength(1);
  });
});
