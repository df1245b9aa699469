import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withTenant } from "@/lib/db";
import { env } from "@/lib/env";
import { openBillingPortal, startCheckout } from "@/lib/billing/checkout";
import { orgWithMembers, request, uid } from "../helpers/tenants";

afterAll(closeDb);

/**
 * BIL-1: the Stripe calls the product makes, through the real Stripe SDK, against a local HTTP server standing in for
 * api.stripe.com (the SDK's host/port/protocol options, set from STRIPE_API_URL). It records what the SDK sends and
 * answers what each test asks for: Stripe's own JSON, an error, or a dropped connection.
 */
interface Received {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  form: Record<string, string>;
}
type Answer = { status: number; body: unknown } | "drop";

const received: Received[] = [];
const queued = new Map<string, Answer[]>();
let server: Server;

function defaultAnswer(path: string, form: Record<string, string>): Answer {
  if (path === "/v1/customers") return { status: 200, body: { id: `cus_${uid()}`, object: "customer", name: form.name ?? null, metadata: {} } };
  if (path === "/v1/checkout/sessions") return { status: 200, body: { id: "cs_test_123", object: "checkout.session", url: "https://checkout.stripe.com/c/pay/cs_test_123" } };
  if (path === "/v1/billing_portal/sessions") return { status: 200, body: { id: "bps_123", object: "billing_portal.session", url: "https://billing.stripe.com/p/session/test_123" } };
  return { status: 404, body: { error: { type: "invalid_request_error", message: "Unrecognized request URL" } } };
}

/** The next answers for a path, in order (after them, the default one). */
function answerNext(path: string, ...answers: Answer[]) {
  queued.set(path, [...(queued.get(path) ?? []), ...answers]);
}

const saved = { key: env.STRIPE_SECRET_KEY, pro: env.STRIPE_PRICE_PRO, api: env.STRIPE_API_URL };

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = new URL(req.url ?? "/", "http://stand-in").pathname;
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
      received.push({ method: req.method ?? "", path, headers: req.headers, form });
      const answer = queued.get(path)?.shift() ?? defaultAnswer(path, form);
      if (answer === "drop") return void req.socket.destroy();
      res.writeHead(answer.status, { "content-type": "application/json", "request-id": `req_${uid()}` });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  env.STRIPE_SECRET_KEY = "sk_test_standin0123456789";
  env.STRIPE_PRICE_PRO = "price_standinPro";
  env.STRIPE_API_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  env.STRIPE_SECRET_KEY = saved.key;
  env.STRIPE_PRICE_PRO = saved.pro;
  env.STRIPE_API_URL = saved.api;
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
  queued.clear();
});

async function storedCustomer(orgId: string): Promise<string | null> {
  const [row] = await (await ownerDb()).query<{ stripe_customer_id: string }>("select stripe_customer_id from public.billing_customers where org_id = $1", [orgId]);
  return row?.stripe_customer_id ?? null;
}

const BILLING = new URL("/settings/billing", env.APP_URL).toString();

describe("BIL-1: Stripe Checkout and the customer portal, for owners only", () => {
  it("an owner's checkout creates the org's customer once (idempotency key = org), stores it, and sends the session Stripe needs", async () => {
    const { org, owner } = await orgWithMembers("Checkout");
    const result = await startCheckout(owner, { plan: "pro" }, request());
    expect(result).toEqual({ ok: true, data: { url: "https://checkout.stripe.com/c/pay/cs_test_123" } });

    expect(received.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /v1/customers", "POST /v1/checkout/sessions"]);
    const [customerCall, sessionCall] = received as [Received, Received];
    expect(customerCall.headers.authorization).toBe("Bearer sk_test_standin0123456789");
    expect(customerCall.headers["idempotency-key"]).toBe(`tenantguard-customer-${org.id}`);
    expect(customerCall.form).toEqual({ name: "Checkout", "metadata[org_id]": org.id });

    const customer = await storedCustomer(org.id);
    expect(customer).toMatch(/^cus_/);
    expect(sessionCall.form).toEqual({
      mode: "subscription",
      customer,
      client_reference_id: org.id,
      "line_items[0][price]": "price_standinPro",
      "line_items[0][quantity]": "1",
      "metadata[org_id]": org.id,
      "metadata[plan]": "pro",
      "subscription_data[metadata][org_id]": org.id,
      "subscription_data[metadata][plan]": "pro",
      success_url: `${BILLING}?checkout=success`,
      cancel_url: `${BILLING}?checkout=cancelled`,
    });
    const [audit] = await (await ownerDb()).query<{ n: number }>("select count(*)::int as n from public.audit_logs where org_id = $1 and action = 'billing.customer_created'", [org.id]);
    expect(audit!.n).toBe(1);

    // A second checkout reuses the stored customer: no second customer at Stripe, no second row.
    received.length = 0;
    expect((await startCheckout(owner, { plan: "pro" }, request())).ok).toBe(true);
    expect(received.map((r) => r.path)).toEqual(["/v1/checkout/sessions"]);
    expect(received[0]!.form.customer).toBe(customer);
  });

  it("members and admins are refused before anything reaches Stripe; so is a plan without a price or an unknown one", async () => {
    const { admin, member, owner } = await orgWithMembers("Refused");
    for (const who of [member, admin]) {
      expect(await startCheckout(who, { plan: "pro" }, request())).toMatchObject({ ok: false, code: "forbidden", message: "Only organisation owners can manage billing." });
      expect(await openBillingPortal(who, request())).toMatchObject({ ok: false, code: "forbidden" });
    }
    expect(await startCheckout(null, { plan: "pro" }, request())).toMatchObject({ ok: false, code: "unauthenticated" });
    expect(await startCheckout(owner, { plan: "business" }, request())).toMatchObject({ ok: false, code: "invalid_input", message: "The Business plan cannot be bought on this deployment." });
    expect(await startCheckout(owner, { plan: "free" }, request())).toMatchObject({ ok: false, code: "invalid_input" });
    expect(received).toEqual([]);
    expect(await storedCustomer(owner.orgId!)).toBeNull();
  });

  it("the database stores an org's Stripe customer only for its owner (RLS), whatever the app checked", async () => {
    const { org, owner, admin, member } = await orgWithMembers("Customer RLS");
    const insert = (who: typeof owner) =>
      withTenant(who.claims, (tx) => tx.query("insert into public.billing_customers (org_id, stripe_customer_id, created_by) values ($1, $2, $3)", [org.id, `cus_${uid()}`, who.userId]));
    for (const who of [member, admin]) await expect(insert(who)).rejects.toMatchObject({ code: "42501" });
    await insert(owner);
    expect(await storedCustomer(org.id)).toMatch(/^cus_/);
    // One customer per org: a second is refused.
    await expect(insert(owner)).rejects.toMatchObject({ code: "23505" });
  });

  it("the portal opens for the org's stored customer with the billing page as return URL; without a customer it says to upgrade first", async () => {
    const { org, owner } = await orgWithMembers("Portal");
    expect(await openBillingPortal(owner, request())).toMatchObject({ ok: false, code: "conflict", message: "There is no billing account yet: upgrade to a paid plan first." });
    expect(received).toEqual([]);
    expect((await startCheckout(owner, { plan: "pro" }, request())).ok).toBe(true);
    received.length = 0;
    expect(await openBillingPortal(owner, request())).toEqual({ ok: true, data: { url: "https://billing.stripe.com/p/session/test_123" } });
    expect(received).toEqual([expect.objectContaining({ method: "POST", path: "/v1/billing_portal/sessions", form: { customer: await storedCustomer(org.id), return_url: BILLING } })]);
  });

  it.each([
    ["a 402 card error", { status: 402, body: { error: { type: "card_error", code: "card_declined", message: "Your card was declined. cus_secret" } } }, /^Stripe refused to start the checkout\. Nothing was changed\.$/],
    ["a 500", { status: 500, body: { error: { type: "api_error", message: "Internal" } } }, /^Stripe failed to start the checkout\. Nothing was changed; please try again\.$/],
    ["a dropped connection", "drop" as const, /^Stripe could not be reached to start the checkout\. Nothing was changed; please try again\.$/],
    ["refused credentials", { status: 401, body: { error: { type: "invalid_request_error", message: "Invalid API Key provided: sk_test_***" } } }, /^Billing is misconfigured/],
  ])("Stripe answering the customer creation with %s: a clear message, nothing stored", async (_name, answer, message) => {
    const { org, owner } = await orgWithMembers("Failing");
    // Every attempt the SDK makes (it retries a 500 or a dropped connection once) gets the same answer.
    answerNext("/v1/customers", answer, answer, answer);
    const result = await startCheckout(owner, { plan: "pro" }, request());
    expect(result).toMatchObject({ ok: false, code: "unavailable", message: expect.stringMatching(message) });
    expect(JSON.stringify(result)).not.toMatch(/cus_secret|sk_test/);
    expect(await storedCustomer(org.id)).toBeNull();
    expect(received.every((r) => r.path === "/v1/customers")).toBe(true);
    // Retries reuse the org's idempotency key, so Stripe never makes two customers of one org.
    expect(new Set(received.map((r) => r.headers["idempotency-key"]))).toEqual(new Set([`tenantguard-customer-${org.id}`]));
  });

  it("a failed checkout session after the customer was created keeps only the customer (created once, reused next time)", async () => {
    const { org, owner } = await orgWithMembers("Half");
    answerNext("/v1/checkout/sessions", { status: 400, body: { error: { type: "invalid_request_error", message: "No such price" } } });
    expect(await startCheckout(owner, { plan: "pro" }, request())).toMatchObject({ ok: false, message: "Stripe refused to start the checkout. Nothing was changed." });
    const customer = await storedCustomer(org.id);
    expect(customer).toMatch(/^cus_/);
    received.length = 0;
    expect((await startCheckout(owner, { plan: "pro" }, request())).ok).toBe(true);
    expect(received.map((r) => r.path)).toEqual(["/v1/checkout/sessions"]);
  });

  it("without STRIPE_SECRET_KEY, billing is not configured: nothing is sent and the owner is told the free plan applies", async () => {
    const { owner } = await orgWithMembers("Unconfigured");
    env.STRIPE_SECRET_KEY = undefined;
    try {
      expect(await startCheckout(owner, { plan: "pro" }, request())).toMatchObject({
        ok: false,
        code: "unavailable",
        message: "Billing is not configured on this deployment: the Free plan's limits apply.",
      });
      expect(await openBillingPortal(owner, request())).toMatchObject({ ok: false, code: "unavailable" });
    } finally {
      env.STRIPE_SECRET_KEY = "sk_test_standin0123456789";
    }
    expect(received).toEqual([]);
  });
});
