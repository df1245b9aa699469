import { afterAll, describe, expect, it, vi } from "vitest";
import { renderToStaticMarkup } from "react-dom/server";
import { startRequest } from "../helpers/next-request";

// The billing page and the dashboard's layout with a real embedded-IdP session cookie (next/headers is Next.js's
// request scope, given here by the shared helper) and the real page read.
vi.mock("next/headers", () => import("../helpers/next-request"));

const { closeDb, ownerDb } = await import("@/lib/db");
const { env } = await import("@/lib/env");
const { SESSION_COOKIE_NAME } = await import("@/lib/auth/cookie-name");
const { createProject } = await import("@/lib/projects");
const { PLANS } = await import("@/lib/billing/plans");
const { default: BillingPage } = await import("@/app/(dashboard)/settings/billing/page");
const { default: DashboardLayout } = await import("@/app/(dashboard)/layout");
const { createProjectAction } = await import("@/app/(dashboard)/projects/actions");
const { createApiKeyAction } = await import("@/app/(dashboard)/settings/api-keys/actions");
const { initialFormState } = await import("@/lib/actions/form-state");
const { createOrg, createUser, request, signIn, uid } = await import("../helpers/tenants");
const { newKey } = await import("../helpers/api");

afterAll(closeDb);

async function asUser(token: string) {
  startRequest({ cookie: `${SESSION_COOKIE_NAME}=${token}` });
  const { nextRequest } = await import("../helpers/next-request");
  nextRequest.cookies.set(SESSION_COOKIE_NAME, { value: token, options: {} });
}

async function tenantWith(roles: ("owner" | "admin" | "member")[]) {
  const org = await createOrg("Billing Co");
  const people = [];
  for (const role of roles) {
    const user = await createUser([{ orgId: org.id, role }]);
    people.push(await signIn(user, { ...org, role }));
  }
  return { org, people };
}

const html = async () => renderToStaticMarkup(await BillingPage({}));

describe("BIL-1: the billing page", () => {
  it("shows the plan, usage against every limit as labelled progress bars, invoices, and that billing is not configured", async () => {
    const { org, people } = await tenantWith(["owner", "member"]);
    const [owner] = people as [{ token: string; session: import("@/lib/auth/claims").Session }];
    for (const name of ["One", "Two"]) expect((await createProject(owner.session, { name }, request())).ok).toBe(true);
    const customer = `cus_${uid()}`;
    const db = await ownerDb();
    await db.query("insert into public.billing_customers (org_id, stripe_customer_id, created_by) values ($1, $2, $3)", [org.id, customer, owner.session.userId]);
    await db.transaction(async (tx) => {
      await tx.query("select private.record_invoice($1, $2, $3, null, 'TG-7', 'paid', 2900, 2900, 'eur', 'https://invoice.stripe.com/i/x', now() - interval '30 days', now(), now())", [
        org.id,
        customer,
        `in_${uid()}`,
      ]);
    });

    const read = await BillingPage.readFor(owner.session, undefined, request());
    expect(read).toMatchObject({
      kind: "ok",
      data: { configured: false, usage: { plan: { id: "free" }, limits: PLANS.free.limits, used: { projects: 2, api_keys: 0, members: 2, storage_bytes: 0 } } },
    });

    await asUser(owner.token);
    const page = await html();
    expect(page).toContain('data-testid="billing-not-configured"');
    expect(page).toContain("The Free plan’s limits apply.");
    expect(page).toMatch(/data-testid="billing-plan">Free</);
    // One labelled progressbar per limit, with its share and its text.
    expect(page.match(/role="progressbar"/g)).toHaveLength(4);
    expect(page).toContain('aria-labelledby="usage-projects-label" aria-valuemin="0" aria-valuemax="100" aria-valuenow="20" aria-valuetext="2 of 10 (20%)"');
    expect(page).toContain('id="usage-projects-label"');
    expect(page).toContain('aria-valuetext="2 of 5 (40%)"');
    expect(page).toContain('aria-valuetext="0 bytes of 1 GB (0%)"');
    expect(page).toContain('data-testid="invoice-row"');
    expect(page).toContain("TG-7");
    expect(page).toContain("€29.00");
    // Not configured: no button to buy anything.
    expect(page).not.toContain("Upgrade to");
  });

  it("with Stripe configured, owners get Upgrade (and Manage once a customer exists); admins are told only owners change the plan; members are told it is for admins", async () => {
    const { org, people } = await tenantWith(["owner", "admin", "member"]);
    const [owner, admin, member] = people as { token: string; session: import("@/lib/auth/claims").Session }[];
    const saved = { key: env.STRIPE_SECRET_KEY, pro: env.STRIPE_PRICE_PRO };
    env.STRIPE_SECRET_KEY = "sk_test_pagecheck0123456789";
    env.STRIPE_PRICE_PRO = "price_pagePro";
    try {
      await asUser(owner!.token);
      let page = await html();
      expect(page).toContain("Upgrade to Pro");
      expect(page).not.toContain("Upgrade to Business");
      expect(page).not.toContain("Manage billing");
      expect(page).not.toContain("billing-not-configured");
      await (await ownerDb()).query("insert into public.billing_customers (org_id, stripe_customer_id, created_by) values ($1, $2, $3)", [org.id, `cus_${uid()}`, owner!.session.userId]);
      page = await html();
      expect(page).toContain("Manage billing");

      await asUser(admin!.token);
      page = await html();
      expect(page).not.toContain("Upgrade to");
      expect(page).toContain("Only the organisation’s owners can change the plan.");
    } finally {
      env.STRIPE_SECRET_KEY = saved.key;
      env.STRIPE_PRICE_PRO = saved.pro;
    }
    expect(await BillingPage.readFor(member!.session, undefined, request())).toMatchObject({ kind: "admins_only", title: "Billing", minimumRole: "admin" });
  });

  it("the dashboard's navigation links Billing for owners and admins, not for members", async () => {
    const { people } = await tenantWith(["admin", "member"]);
    const [admin, member] = people as { token: string }[];
    await asUser(admin!.token);
    expect(renderToStaticMarkup(await DashboardLayout({ children: null }))).toContain('href="/settings/billing"');
    await asUser(member!.token);
    expect(renderToStaticMarkup(await DashboardLayout({ children: null }))).not.toContain('href="/settings/billing"');
  });

  it("at the plan's limit the create-project form answers the limit and keeps what was typed", async () => {
    const { org, people } = await tenantWith(["member"]);
    await (await ownerDb()).query("insert into public.projects (org_id, name, created_by) select $1, 'Seed ' || g, 'user_seed' from generate_series(1, $2::int) g", [
      org.id,
      PLANS.free.limits.projects,
    ]);
    await asUser(people[0]!.token);
    const form = new FormData();
    form.set("name", "My eleventh project");
    const state = await createProjectAction(initialFormState, form);
    expect(state).toMatchObject({
      ok: false,
      message: "Plan limit reached: 10 projects on the Free plan. Delete a project or upgrade the plan.",
      values: { name: "My eleventh project" },
    });
  });

  it("at the plan's key limit the create-key form answers the limit and keeps every field (never a secret)", async () => {
    const { people } = await tenantWith(["admin"]);
    await asUser(people[0]!.token);
    const submit = (name: string) => {
      const form = new FormData();
      form.set("name", name);
      form.set("projectId", "org");
      form.set("permissions", "read_write");
      form.set("expiresAt", "");
      form.set("ipAllowlist", "203.0.113.0/24");
      return createApiKeyAction(form);
    };
    for (let i = 0; i < PLANS.free.limits.api_keys; i++) await newKey(people[0]!.session);
    const state = await submit("Key too many");
    expect(state).toMatchObject({
      ok: false,
      message: "Plan limit reached: 10 API keys on the Free plan. Delete or revoke a key or upgrade the plan.",
      values: { name: "Key too many", projectId: "org", permissions: "read_write", ipAllowlist: "203.0.113.0/24" },
    });
    expect(state.secret).toBeUndefined();
  });
});
