import "server-only";
import { z } from "zod";
import { env } from "@/lib/env";
import type { Queryable } from "@/lib/db";
import type { Session } from "@/lib/auth/claims";
import type { RequestContext } from "@/lib/http/request-context";
import { defineAction, hasRole, type ActionResult } from "@/lib/actions/pipeline";
import { AppError, STATUS } from "@/lib/errors";
import { requestLogger } from "@/lib/observability/logger";
import { PLANS } from "./plans";
import { isStripeError, priceForPlan, stripeClient, stripeFailureMessage } from "./stripe";
import { plainIssueMessage } from "@/lib/validation/messages";

/**
 * BIL-1: the Stripe calls the product makes, for org owners only (TEN-3; billing_customers' insert policy says the
 * same in the database): a Checkout session to buy a plan and a customer-portal session to manage it. The database
 * work runs through the action pipeline (session, Zod, role, tenant transaction, audit) and never holds a transaction
 * open across a call to Stripe. The Stripe customer is created once per org (idempotency key derived from the org id)
 * and stored in billing_customers; a failed call stores nothing.
 */

export const BILLING_PATH = "/settings/billing";
const OWNERS_ONLY = "Only organisation owners can manage billing.";
const NOT_CONFIGURED = "Billing is not configured on this deployment: the Free plan's limits apply.";

export const checkoutSchema = z.object({ plan: z.enum(["pro", "business"], { error: "Choose a plan to upgrade to." }) });

interface BillingAccount {
  orgId: string;
  orgName: string;
  customerId: string | null;
}

async function readAccount(tx: Queryable, orgId: string): Promise<BillingAccount> {
  const [org] = await tx.query<{ name: string }>("select name from public.organizations where id = $1", [orgId]);
  const [customer] = await tx.query<{ stripe_customer_id: string }>("select stripe_customer_id from public.billing_customers where org_id = $1", [orgId]);
  return { orgId, orgName: org?.name ?? orgId, customerId: customer?.stripe_customer_id ?? null };
}

const readBillingAccount = defineAction({
  name: "billing.account",
  schema: z.object({}),
  minimumRole: "owner",
  secondFactor: "present",
  run: ({ session, tx }) => readAccount(tx, session.orgId),
});

/** Stores the org's Stripe customer (first one wins; the same idempotency key makes a concurrent one the same). */
const storeCustomer = defineAction({
  name: "billing.customer.store",
  schema: z.object({ customerId: z.string().regex(/^cus_[A-Za-z0-9_]{1,250}$/) }),
  minimumRole: "owner",
  secondFactor: "present",
  async run({ input, session, tx, audit }) {
    const inserted = await tx.query<{ stripe_customer_id: string }>(
      `insert into public.billing_customers (org_id, stripe_customer_id, created_by) values ($1, $2, $3)
       on conflict (org_id) do nothing returning stripe_customer_id`,
      [session.orgId, input.customerId, session.userId],
    );
    if (inserted.length > 0) {
      // AUD-3: a billing change.
      await audit({ action: "billing.customer_created", targetType: "billing_customer", targetId: input.customerId, changes: {} });
      return input.customerId;
    }
    const account = await readAccount(tx, session.orgId);
    return account.customerId ?? input.customerId;
  },
});

function fail(code: "forbidden" | "unavailable" | "invalid_input" | "conflict", message: string): ActionResult<never> {
  return { ok: false, code, status: STATUS[code], message };
}

function stripeFailed(error: unknown, doing: string, request: RequestContext, orgId: string | null): ActionResult<never> {
  if (!isStripeError(error)) throw error;
  // Never the key, never Stripe's message (ids, e-mail addresses): its type, status and request id are enough.
  requestLogger({ requestId: request.requestId ?? "unknown", orgId: orgId ?? undefined, route: "billing" }).warn(
    { stripeError: error.type, stripeStatus: error.statusCode ?? null, stripeRequestId: error.requestId ?? null },
    `Stripe refused or failed: ${doing}`,
  );
  return fail("unavailable", stripeFailureMessage(error, doing));
}

/** The org's Stripe customer: the stored one, or one created now (once per org) and stored. */
async function ensureCustomer(session: Session, account: BillingAccount, request: RequestContext): Promise<ActionResult<string>> {
  if (account.customerId) return { ok: true, data: account.customerId };
  const stripe = stripeClient()!;
  const customer = await stripe.customers.create(
    { name: account.orgName, metadata: { org_id: account.orgId } },
    { idempotencyKey: `tenantguard-customer-${account.orgId}` },
  );
  return storeCustomer(session, { customerId: customer.id }, request);
}

const appUrl = (path: string) => new URL(path, env.APP_URL).toString();

/** Starts a Stripe Checkout for a paid plan; answers the URL to send the owner to. */
export async function startCheckout(session: Session | null, rawInput: unknown, request: RequestContext): Promise<ActionResult<{ url: string }>> {
  if (session?.orgId && !hasRole(session, "owner")) return fail("forbidden", OWNERS_ONLY);
  const account = await readBillingAccount(session, {}, request);
  if (!account.ok) return account;
  const stripe = stripeClient();
  if (!stripe) return fail("unavailable", NOT_CONFIGURED);
  const parsed = checkoutSchema.safeParse(rawInput, { error: plainIssueMessage });
  if (!parsed.success) return fail("invalid_input", "Choose a plan to upgrade to.");
  const price = priceForPlan(parsed.data.plan);
  if (!price) return fail("invalid_input", `The ${PLANS[parsed.data.plan].name} plan cannot be bought on this deployment.`);
  try {
    const customer = await ensureCustomer(session!, account.data, request);
    if (!customer.ok) return customer;
    const checkout = await stripe.checkout.sessions.create({
      mode: "subscription",
      customer: customer.data,
      client_reference_id: account.data.orgId,
      line_items: [{ price: price!, quantity: 1 }],
      metadata: { org_id: account.data.orgId, plan: parsed.data.plan },
      subscription_data: { metadata: { org_id: account.data.orgId, plan: parsed.data.plan } },
      success_url: appUrl(`${BILLING_PATH}?checkout=success`),
      cancel_url: appUrl(`${BILLING_PATH}?checkout=cancelled`),
    });
    if (!checkout.url) throw new AppError("unavailable", "Stripe did not return a checkout page. Nothing was changed; please try again.");
    return { ok: true, data: { url: checkout.url } };
  } catch (error) {
    if (error instanceof AppError) return fail("unavailable", error.message);
    return stripeFailed(error, "start the checkout", request, account.data.orgId);
  }
}

/** Opens Stripe's customer portal (plan changes, payment methods, invoices) for the org's customer. */
export async function openBillingPortal(session: Session | null, request: RequestContext): Promise<ActionResult<{ url: string }>> {
  if (session?.orgId && !hasRole(session, "owner")) return fail("forbidden", OWNERS_ONLY);
  const account = await readBillingAccount(session, {}, request);
  if (!account.ok) return account;
  const stripe = stripeClient();
  if (!stripe) return fail("unavailable", NOT_CONFIGURED);
  if (!account.data.customerId) return fail("conflict", "There is no billing account yet: upgrade to a paid plan first.");
  try {
    const portal = await stripe.billingPortal.sessions.create({ customer: account.data.customerId, return_url: appUrl(BILLING_PATH) });
    return { ok: true, data: { url: portal.url } };
  } catch (error) {
    return stripeFailed(error, "open the billing portal", request, account.data.orgId);
  }
}
