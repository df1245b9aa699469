import { afterAll, describe, expect, it, vi } from "vitest";

const PRICE_PRO = "price_whbillingpro";
await vi.hoisted(async () => {
  const { webhookEnv } = await import("../helpers/webhook-secrets");
  Object.assign(process.env, webhookEnv(), { STRIPE_PRICE_PRO: "price_whbillingpro", STRIPE_PRICE_BUSINESS: "price_whbillingbusiness" });
});

import { randomBytes } from "node:crypto";
import { closeDb, ownerDb, withTenant } from "@/lib/db";
import { createProject } from "@/lib/projects";
import { PLANS } from "@/lib/billing/plans";
import { POST as stripePost } from "@/app/api/webhooks/stripe/route";
import { orgWithMembers, request } from "../helpers/tenants";
import { signedRequest, storedEvents } from "../helpers/webhooks";

afterAll(closeDb);

/**
 * BIL-1 / WH-1..3 / AUD-3: Stripe's billing events through the real route (/api/webhooks/stripe), signed offline with
 * Stripe's own generateTestHeaderString: subscription state drives the plan and its limits, invoices are recorded
 * once per invoice id, and the org is always the one our records (billing_customers) link the customer to.
 */

const rand = () => randomBytes(12).toString("hex");
const seconds = (msAgo = 0) => Math.floor((Date.now() - msAgo) / 1000);

/** An org whose owner stored its Stripe customer, as the checkout action does before redirecting (under RLS). */
async function billedOrg(name: string) {
  const t = await orgWithMembers(name);
  const customer = `cus_${rand()}`;
  await withTenant(t.owner.claims, (tx) =>
    tx.query("insert into public.billing_customers (org_id, stripe_customer_id, created_by) values ($1, $2, $3)", [t.org.id, customer, t.owner.userId]),
  );
  return { ...t, customer };
}

function event(type: string, object: Record<string, unknown>, created = seconds()) {
  const id = `evt_${rand()}`;
  return { id, body: JSON.stringify({ id, object: "event", api_version: "2025-01-27.acacia", type, created, livemode: false, data: { object } }) };
}

function subscription(customer: string, over: { id?: string; status?: string; price?: string; metadata?: Record<string, string> } = {}) {
  return {
    id: over.id ?? `sub_${rand()}`,
    object: "subscription",
    customer,
    status: over.status ?? "active",
    cancel_at_period_end: false,
    current_period_end: seconds(-30 * 86_400_000),
    metadata: over.metadata ?? {},
    items: { object: "list", data: [{ id: `si_${rand()}`, object: "subscription_item", price: { id: over.price ?? PRICE_PRO, object: "price" } }] },
  };
}

function invoice(customer: string, over: { id?: string; status?: string } = {}) {
  return {
    id: over.id ?? `in_${rand()}`,
    object: "invoice",
    customer,
    status: over.status ?? "paid",
    number: "TG-0001",
    amount_due: 4900,
    amount_paid: over.status === "open" ? 0 : 4900,
    currency: "eur",
    hosted_invoice_url: "https://invoice.stripe.com/i/test",
    payment_intent: `pi_${rand()}`,
    period_start: seconds(30 * 86_400_000),
    period_end: seconds(),
  };
}

async function deliver(e: { id: string; body: string }) {
  const response = await stripePost(signedRequest("stripe", e.body));
  return { status: response.status, body: response.status === 200 ? await response.json() : await response.text() };
}

async function subscriptionOf(orgId: string) {
  const [row] = await (await ownerDb()).query<{ plan: string; status: string; stripe_subscription_id: string }>(
    "select plan, status, stripe_subscription_id from public.subscriptions where org_id = $1",
    [orgId],
  );
  return row;
}

async function auditActions(orgId: string) {
  const rows = await (await ownerDb()).query<{ action: string; actor_type: string; target_id: string }>(
    "select action, actor_type, target_id from public.audit_logs where org_id = $1 and action like 'billing.%' order by seq",
    [orgId],
  );
  return rows;
}

async function seedProjects(orgId: string, n: number) {
  await (await ownerDb()).query("insert into public.projects (org_id, name, created_by) select $1, 'Seed ' || g, 'user_seed' from generate_series(1, $2) g", [orgId, n]);
}

describe("BIL-1: Stripe subscription events through the webhook route", () => {
  it("subscription created: the plan is pro and the project limit rises past the Free plan's", async () => {
    const { org, member, customer } = await billedOrg("WhBillPro");
    await seedProjects(org.id, PLANS.free.limits.projects);
    expect(await createProject(member, { name: "Refused on Free" }, request())).toMatchObject({ ok: false, code: "plan_limit" });

    const created = event("customer.subscription.created", subscription(customer));
    expect(await deliver(created)).toEqual({ status: 200, body: { status: "processed" } });
    expect(await subscriptionOf(org.id)).toMatchObject({ plan: "pro", status: "active" });
    expect((await createProject(member, { name: "Fits on Pro" }, request())).ok).toBe(true);
    expect(await storedEvents("stripe", created.id)).toMatchObject([{ status: "processed", org_id: org.id }]);
    // AUD-3: the subscription change is in the org's audit chain, as the webhook actor.
    expect(await auditActions(org.id)).toEqual([expect.objectContaining({ action: "billing.subscription_changed", actor_type: "webhook" })]);
  });

  it("newest-first delivery ends in the newest state; the older events are stored as superseded", async () => {
    const { org, customer } = await billedOrg("WhBillOrder");
    const sub = `sub_${rand()}`;
    const incomplete = event("customer.subscription.created", subscription(customer, { id: sub, status: "incomplete" }), seconds(30_000));
    const active = event("customer.subscription.updated", subscription(customer, { id: sub, status: "active" }), seconds(20_000));
    const business = event("customer.subscription.updated", subscription(customer, { id: sub, price: "price_whbillingbusiness" }), seconds(10_000));
    const answers = [];
    for (const e of [business, active, incomplete]) answers.push((await deliver(e)).body);
    expect(answers).toEqual([{ status: "processed" }, { status: "ignored" }, { status: "ignored" }]);
    expect(await subscriptionOf(org.id)).toMatchObject({ plan: "business", status: "active", stripe_subscription_id: sub });
    expect(await storedEvents("stripe", incomplete.id)).toMatchObject([{ status: "ignored", note: "superseded by a newer subscription state" }]);
  });

  it("in the same second, created (incomplete) after updated (active) still ends active", async () => {
    const { org, customer } = await billedOrg("WhBillTie");
    const sub = `sub_${rand()}`;
    const at = seconds(5_000);
    await deliver(event("customer.subscription.updated", subscription(customer, { id: sub, status: "active" }), at));
    await deliver(event("customer.subscription.created", subscription(customer, { id: sub, status: "incomplete" }), at));
    expect(await subscriptionOf(org.id)).toMatchObject({ plan: "pro", status: "active" });
  });

  it("subscription deleted: back to the Free plan's limits", async () => {
    const { org, member, customer } = await billedOrg("WhBillDeleted");
    const sub = `sub_${rand()}`;
    await deliver(event("customer.subscription.created", subscription(customer, { id: sub }), seconds(60_000)));
    await seedProjects(org.id, PLANS.free.limits.projects);
    expect((await createProject(member, { name: "Fits on Pro" }, request())).ok).toBe(true);
    const deleted = event("customer.subscription.deleted", subscription(customer, { id: sub, status: "canceled" }));
    expect(await deliver(deleted)).toEqual({ status: 200, body: { status: "processed" } });
    expect(await subscriptionOf(org.id)).toMatchObject({ status: "canceled" });
    expect(await createProject(member, { name: "Refused on Free again" }, request())).toMatchObject({ ok: false, code: "plan_limit" });
    expect((await auditActions(org.id)).map((a) => a.action)).toEqual(["billing.subscription_changed", "billing.subscription_ended"]);
  });

  it("a subscription event for a customer not linked to any org is not applied (ignored, no org)", async () => {
    const stranger = `cus_${rand()}`;
    const e = event("customer.subscription.created", subscription(stranger, { metadata: { org_id: "org_whatever" } }));
    expect(await deliver(e)).toEqual({ status: 200, body: { status: "ignored" } });
    expect(await storedEvents("stripe", e.id)).toMatchObject([{ status: "ignored", note: "no local record of this object", org_id: null }]);
    const [row] = await (await ownerDb()).query<{ n: string }>("select count(*)::text as n from public.subscriptions where stripe_subscription_id = $1", [
      JSON.parse(e.body).data.object.id,
    ]);
    expect(row!.n).toBe("0");
  });

  it("an event whose metadata names another org but whose customer is ours is applied to our org only", async () => {
    const ours = await billedOrg("WhBillOurs");
    const other = await billedOrg("WhBillOther");
    const e = event("customer.subscription.created", subscription(ours.customer, { metadata: { org_id: other.org.id } }));
    expect(await deliver(e)).toEqual({ status: 200, body: { status: "processed" } });
    expect(await subscriptionOf(ours.org.id)).toMatchObject({ plan: "pro", status: "active" });
    expect(await subscriptionOf(other.org.id)).toBeUndefined();
    expect(await storedEvents("stripe", e.id)).toMatchObject([{ org_id: ours.org.id }]);

    const checkout = event("checkout.session.completed", {
      id: `cs_${rand()}`,
      object: "checkout.session",
      customer: ours.customer,
      client_reference_id: other.org.id,
      mode: "subscription",
      subscription: JSON.parse(e.body).data.object.id,
      payment_status: "paid",
      metadata: { org_id: other.org.id, plan: "pro" },
    });
    expect(await deliver(checkout)).toEqual({ status: 200, body: { status: "processed" } });
    const audits = await auditActions(ours.org.id);
    expect(audits.map((a) => a.action)).toEqual(["billing.subscription_changed", "billing.checkout_completed"]);
    expect(await auditActions(other.org.id)).toEqual([]);
  });

  it("checkout completed for a customer the checkout flow never stored is not applied", async () => {
    const t = await orgWithMembers("WhBillNoCustomer");
    const e = event("checkout.session.completed", {
      id: `cs_${rand()}`,
      object: "checkout.session",
      customer: `cus_${rand()}`,
      client_reference_id: t.org.id,
      mode: "subscription",
      metadata: { org_id: t.org.id },
    });
    expect(await deliver(e)).toEqual({ status: 200, body: { status: "ignored" } });
    expect(await auditActions(t.org.id)).toEqual([]);
  });
});

describe("BIL-1: invoices and payments through the webhook route", () => {
  it("invoice paid delivered twice (and again as a new event) is one payment row, audited once", async () => {
    const { org, customer } = await billedOrg("WhBillInvoice");
    const paid = event("invoice.paid", invoice(customer));
    expect(await deliver(paid)).toEqual({ status: 200, body: { status: "processed" } });
    expect(await deliver(paid)).toEqual({ status: 200, body: { status: "duplicate" } });
    const redelivered = event("invoice.paid", JSON.parse(paid.body).data.object, JSON.parse(paid.body).created);
    expect(await deliver(redelivered)).toEqual({ status: 200, body: { status: "ignored" } });
    const rows = await (await ownerDb()).query<{ status: string; amount_paid: string }>("select status, amount_paid::text from public.invoices where org_id = $1", [org.id]);
    expect(rows).toEqual([{ status: "paid", amount_paid: "4900" }]);
    expect((await auditActions(org.id)).map((a) => a.action)).toEqual(["billing.payment_succeeded"]);
  });

  it("finalized then paid in the same second, in either order, ends paid; a failed payment is audited", async () => {
    const { org, customer } = await billedOrg("WhBillInvoiceTie");
    const id = `in_${rand()}`;
    const at = seconds(2_000);
    await deliver(event("invoice.paid", invoice(customer, { id }), at));
    expect((await deliver(event("invoice.finalized", invoice(customer, { id, status: "open" }), at))).body).toEqual({ status: "ignored" });
    const [row] = await (await ownerDb()).query<{ status: string }>("select status from public.invoices where stripe_invoice_id = $1", [id]);
    expect(row!.status).toBe("paid");

    const failed = event("invoice.payment_failed", invoice(customer, { status: "open" }));
    expect(await deliver(failed)).toEqual({ status: 200, body: { status: "processed" } });
    expect((await auditActions(org.id)).map((a) => a.action)).toEqual(["billing.payment_succeeded", "billing.payment_failed"]);
  });
});
