import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { env } from "@/lib/env";
import { LocalStorage } from "@/lib/files";
import { useDocumentServices } from "@/lib/documents/services";
import { closeDb, ownerDb, withTenant, type Queryable, type TenantClaims } from "@/lib/db";
import { createProject, deleteProject } from "@/lib/projects";
import { insertProject } from "@/lib/projects/store";
import { createApiKey, deleteApiKey, revokeApiKey } from "@/lib/api-keys";
import { PLANS, LIMITED_RESOURCES } from "@/lib/billing/plans";
import { PlanLimitError, readUsage, storageQuota } from "@/lib/billing/limits";
import { applySubscriptionState } from "@/lib/billing/apply";
import { checkPlanLimits } from "@/lib/billing/live-check";
import { callApi, newKey } from "../helpers/api";
import { createUser, orgWithMembers, request, uid } from "../helpers/tenants";

afterAll(closeDb);

const FREE = PLANS.free.limits;

/** Projects inserted as the tables' owner (no claims: counted, never refused), e.g. to bring an org near its limit. */
async function seedProjects(orgId: string, n: number) {
  if (n <= 0) return;
  await (await ownerDb()).query("insert into public.projects (org_id, name, created_by) select $1, 'Seed ' || g, 'user_seed' from generate_series(1, $2::int) g", [
    orgId,
    n,
  ]);
}

async function projectCount(orgId: string): Promise<{ rows: number; counter: number }> {
  const [row] = await (await ownerDb()).query<{ rows: number; counter: number }>(
    `select (select count(*)::int from public.projects where org_id = $1) as rows,
            coalesce((select used::int from public.entitlements where org_id = $1 and resource = 'projects'), 0) as counter`,
    [orgId],
  );
  return row!;
}

/** The org's Stripe customer, as the checkout action would have stored it (applySubscriptionState requires it). */
async function withCustomer(orgId: string, ownerId: string): Promise<string> {
  const customer = `cus_${uid()}`;
  await (await ownerDb()).query("insert into public.billing_customers (org_id, stripe_customer_id, created_by) values ($1, $2, $3)", [orgId, customer, ownerId]);
  return customer;
}

async function setPlan(orgId: string, customer: string, plan: "free" | "pro" | "business", status: "active" | "canceled", at: Date) {
  return (await ownerDb()).transaction((tx) =>
    applySubscriptionState(tx, orgId, { plan, status, stripeCustomerId: customer, stripeSubscriptionId: `sub_${uid()}`, periodEnd: null, eventCreatedAt: at }),
  );
}

describe("BIL-1: plans are defined once", () => {
  it("the database's plan catalogue is lib/billing/plans.ts", async () => {
    const rows = await (await ownerDb()).query<Record<string, string>>("select id, projects, api_keys, storage_bytes, members from private.billing_plans order by id");
    const inDatabase = Object.fromEntries(rows.map((r) => [r.id, Object.fromEntries(LIMITED_RESOURCES.map((k) => [k, Number(r[k])]))]));
    const inCode = Object.fromEntries(Object.values(PLANS).map((p) => [p.id, p.limits]));
    expect(inDatabase).toEqual(inCode);
  });
});

describe("BIL-1: plan limits are enforced atomically in the database", () => {
  it("20 concurrent project creates with 3 left: exactly 3 succeed, the rest get a form error naming the limit (lib/projects)", async () => {
    // Three rounds, each a fresh org: a check-then-insert race would have three chances to show.
    for (let round = 0; round < 3; round++) {
      const { org, member } = await orgWithMembers(`Race ${round}`);
      await seedProjects(org.id, FREE.projects - 3);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => createProject(member, { name: `Racer ${i}` }, request())));
      const ok = results.filter((r) => r.ok);
      const refused = results.filter((r) => !r.ok);
      expect(ok).toHaveLength(3);
      expect(refused).toHaveLength(17);
      for (const r of refused) {
        expect(r).toMatchObject({ ok: false, code: "plan_limit", status: 402, message: `Plan limit reached: ${FREE.projects} projects on the Free plan. Delete a project or upgrade the plan.` });
      }
      expect(await projectCount(org.id)).toEqual({ rows: FREE.projects, counter: FREE.projects });
      // Nothing of a refused create survives: no audit entry either.
      const [audits] = await (await ownerDb()).query<{ n: number }>("select count(*)::int as n from public.audit_logs where org_id = $1 and action = 'project.created'", [org.id]);
      expect(audits!.n).toBe(3);
    }
  });

  it("20 concurrent POST /api/v1/projects with 3 left: exactly 3 are 201, the rest 402 problem+json naming the limit", async () => {
    const { org, admin } = await orgWithMembers("Race API");
    const key = await newKey(admin);
    await seedProjects(org.id, FREE.projects - 3);
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => callApi("post", "/api/v1/projects", { key: key.plaintext, body: { name: `API racer ${i}` } })));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 402)).toHaveLength(17);
    const refusal = responses.find((r) => r.status === 402)!;
    expect(refusal.headers.get("content-type")).toBe("application/problem+json");
    expect(refusal.json).toMatchObject({
      type: "https://tenantguard.dev/problems/plan_limit",
      title: "Plan limit reached",
      status: 402,
      code: "plan_limit",
      detail: `Plan limit reached: ${FREE.projects} projects on the Free plan. Delete a project or upgrade the plan.`,
    });
    expect(await projectCount(org.id)).toEqual({ rows: FREE.projects, counter: FREE.projects });
  });

  it("a delete releases its place: at the limit, deleting one project lets the next create succeed", async () => {
    const { org, admin } = await orgWithMembers("Release");
    await seedProjects(org.id, FREE.projects - 1);
    const last = await createProject(admin, { name: "Last" }, request());
    expect(last.ok).toBe(true);
    expect((await createProject(admin, { name: "One too many" }, request())).ok).toBe(false);
    expect((await deleteProject(admin, { id: (last as { data: { id: string } }).data.id }, request())).ok).toBe(true);
    expect(await projectCount(org.id)).toEqual({ rows: FREE.projects - 1, counter: FREE.projects - 1 });
    expect((await createProject(admin, { name: "Fits again" }, request())).ok).toBe(true);
  });

  it("another org's counters are unaffected: one org at its limit, another creates freely", async () => {
    const a = await orgWithMembers("Full");
    const b = await orgWithMembers("Empty");
    await seedProjects(a.org.id, FREE.projects);
    expect(await createProject(a.member, { name: "Refused" }, request())).toMatchObject({ ok: false, code: "plan_limit" });
    expect((await createProject(b.member, { name: "Fine" }, request())).ok).toBe(true);
    expect(await projectCount(b.org.id)).toEqual({ rows: 1, counter: 1 });
    expect(await projectCount(a.org.id)).toEqual({ rows: FREE.projects, counter: FREE.projects });
  });

  it("API keys: at the limit the next key is refused with the limit named; revoking or deleting a key frees its place", async () => {
    const { org, admin } = await orgWithMembers("Keys");
    const keys = [];
    for (let i = 0; i < FREE.api_keys; i++) keys.push(await newKey(admin));
    const refused = await createApiKey(admin, { name: "One too many", permissions: "read" }, request());
    expect(refused).toMatchObject({ ok: false, code: "plan_limit", message: `Plan limit reached: ${FREE.api_keys} API keys on the Free plan. Delete or revoke a key or upgrade the plan.` });
    const [{ n } = { n: -1 }] = await (await ownerDb()).query<{ n: number }>("select count(*)::int as n from public.api_keys where org_id = $1", [org.id]);
    expect(n).toBe(FREE.api_keys);

    expect((await revokeApiKey(admin, { id: keys[0]!.id }, request())).ok).toBe(true);
    expect((await createApiKey(admin, { name: "After revoke", permissions: "read" }, request())).ok).toBe(true);
    expect((await createApiKey(admin, { name: "Full again", permissions: "read" }, request())).ok).toBe(false);
    // Deleting the revoked key frees nothing (it no longer counted); deleting a live one does.
    expect((await deleteApiKey(admin, { id: keys[0]!.id }, request())).ok).toBe(true);
    expect((await createApiKey(admin, { name: "Still full", permissions: "read" }, request())).ok).toBe(false);
    expect((await deleteApiKey(admin, { id: keys[1]!.id }, request())).ok).toBe(true);
    expect((await createApiKey(admin, { name: "After delete", permissions: "read" }, request())).ok).toBe(true);
    expect(await withTenant(admin.claims, (tx) => readUsage(tx))).toMatchObject({ used: { api_keys: FREE.api_keys }, limits: { api_keys: FREE.api_keys } });
  });

  it("a plan change raises the limit at once, and a cancelled subscription brings the free plan's back", async () => {
    const { org, owner, member } = await orgWithMembers("Upgrade");
    const customer = await withCustomer(org.id, owner.userId);
    await seedProjects(org.id, FREE.projects);
    expect(await createProject(member, { name: "Refused on Free" }, request())).toMatchObject({ ok: false, code: "plan_limit" });

    expect(await setPlan(org.id, customer, "pro", "active", new Date(Date.now() - 60_000))).toEqual({ applied: true });
    expect((await createProject(member, { name: "Fits on Pro" }, request())).ok).toBe(true);
    expect(await withTenant(owner.claims, (tx) => readUsage(tx))).toMatchObject({ plan: { id: "pro" }, limits: PLANS.pro.limits, used: { projects: FREE.projects + 1 } });

    expect(await setPlan(org.id, customer, "pro", "canceled", new Date())).toEqual({ applied: true });
    expect(await createProject(member, { name: "Refused again" }, request())).toMatchObject({
      ok: false,
      message: expect.stringContaining(`${FREE.projects} projects on the Free plan`),
    });
  });

  it("the owner's maintenance (no claims) is counted, never refused; any principal with claims is refused over the limit", async () => {
    const { org, member } = await orgWithMembers("Maintenance");
    await seedProjects(org.id, FREE.projects + 2);
    expect(await projectCount(org.id)).toEqual({ rows: FREE.projects + 2, counter: FREE.projects + 2 });
    await expect(withTenant(member.claims, (tx) => insertProject(tx, { orgId: org.id, name: "SQL", createdBy: member.userId }))).rejects.toBeInstanceOf(PlanLimitError);
  });

  it("members: a member's own JIT provisioning is counted but never refused; adding someone else at the limit is refused", async () => {
    const { org } = await orgWithMembers("Members");
    for (let i = 3; i < FREE.members; i++) await createUser([{ orgId: org.id, role: "member" }]);
    const owner = await ownerDb();
    const count = async () =>
      (await owner.query<{ n: number }>("select used::int as n from public.entitlements where org_id = $1 and resource = 'members'", [org.id]))[0]!.n;
    expect(await count()).toBe(FREE.members);

    // The identity provider made this user a member: their first verified request provisions them, at the limit too.
    const newcomer = `user_${uid()}`;
    // The claims of a verified Clerk session token (lib/auth/session.ts runs exactly this for Clerk sessions).
    const claims = { sub: newcomer, sid: `sess_${uid()}`, iat: Math.floor(Date.now() / 1000), o: { id: org.id, rol: "member", slg: org.slug } } as unknown as TenantClaims;
    await withTenant(claims, (tx) => tx.query("select private.provision_from_claims()"));
    expect(await count()).toBe(FREE.members + 1);

    // Adding another user (what invitations do) with a principal's claims is held to the limit.
    const other = await createUser();
    await expect(
      owner.transaction(async (tx) => {
        await tx.query("select set_config('request.jwt.claims', $1, true)", [JSON.stringify({ sub: newcomer, o: { id: org.id, rol: "owner" } })]);
        await tx.query("insert into public.memberships (org_id, user_id, role) values ($1, $2, 'member')", [org.id, other]);
      }),
    ).rejects.toMatchObject({ code: "TG402" });
    expect(await count()).toBe(FREE.members + 1);
    // Leaving releases.
    await owner.query("delete from public.memberships where org_id = $1 and user_id = $2", [org.id, newcomer]);
    expect(await count()).toBe(FREE.members);
  });

  it("request roles cannot move a counter or write a plan: the counters change only with the rows", async () => {
    const { owner } = await orgWithMembers("Forge");
    const attempts: ((tx: Queryable) => Promise<unknown>)[] = [
      (tx) => tx.query("update public.entitlements set used = 0"),
      (tx) => tx.query("insert into public.entitlements (org_id, resource, used) values ($1, 'projects', 0)", [owner.orgId]),
      (tx) => tx.query("insert into public.subscriptions (org_id, plan, status, state_at) values ($1, 'business', 'active', now())", [owner.orgId]),
      (tx) => tx.query("update private.billing_plans set projects = 1000000"),
      (tx) => tx.query("select private.apply_subscription_state($1, 'business', 'active', 'cus_x', null, null, false, now())", [owner.orgId]),
      (tx) => tx.query("select private.consume_entitlement($1, 'projects', -5, false)", [owner.orgId]),
    ];
    for (const attempt of attempts) await expect(withTenant(owner.claims, attempt)).rejects.toMatchObject({ code: "42501" });
  });
});

describe("BIL-1 with FILE-3: the documents storage quota comes from the plan", () => {
  it("is the plan's storage_bytes, capped by ORG_STORAGE_QUOTA_BYTES", async () => {
    const { org, owner, member } = await orgWithMembers("Storage");
    const quota = (cap: number) => withTenant(member.claims, (tx) => storageQuota(tx, cap));
    expect(await quota(2 ** 50)).toBe(FREE.storage_bytes);
    expect(await quota(2048)).toBe(2048);
    await setPlan(org.id, await withCustomer(org.id, owner.userId), "pro", "active", new Date());
    expect(await quota(2 ** 50)).toBe(PLANS.pro.limits.storage_bytes);
  });
});

describe("BIL-1 with FILE-3: an upload is held to the plan's storage", () => {
  it("an upload past the plan's storage_bytes is 413 naming the plan's quota, even under a higher deployment cap; after an upgrade it fits", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "tg-billing-storage-"));
    useDocumentServices({ storage: new LocalStorage(root), scanner: null });
    const saved = env.ORG_STORAGE_QUOTA_BYTES;
    env.ORG_STORAGE_QUOTA_BYTES = 2 ** 50;
    try {
      const { org, owner, admin, member } = await orgWithMembers("Stored");
      const key = await newKey(admin);
      const project = await createProject(member, { name: "Files" }, request());
      if (!project.ok) throw new Error("setup");
      // The org already stores all but 100 bytes of the Free plan's storage.
      await (await ownerDb()).query(
        "insert into public.documents (org_id, project_id, name, mime_type, size_bytes, created_by) values ($1, $2, 'big.pdf', 'application/pdf', $3, 'user_seed')",
        [org.id, project.data.id, FREE.storage_bytes - 100],
      );
      const upload = (text: string) =>
        callApi("post", `/api/v1/projects/${project.data.id}/documents`, {
          key: key.plaintext,
          rawBody: new TextEncoder().encode(text),
          contentType: "text/plain",
          headers: { "x-file-name": "note.txt" },
        });
      const refused = await upload(`${"x".repeat(300)} ${uid()}\n`);
      expect(refused.status).toBe(413);
      expect(refused.json!.detail).toMatch(/quota of 1024 MB/);
      await setPlan(org.id, await withCustomer(org.id, owner.userId), "pro", "active", new Date());
      expect((await upload(`${"y".repeat(300)} ${uid()}\n`)).status).toBe(201);
    } finally {
      env.ORG_STORAGE_QUOTA_BYTES = saved;
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe("BIL-1 live check: plan-limits", () => {
  it("passes for an org within its limits, and fails naming the org when it is over its limit or a counter drifted", async () => {
    const { org, member } = await orgWithMembers("Check");
    expect((await createProject(member, { name: "One" }, request())).ok).toBe(true);
    expect(await checkPlanLimits({ orgId: org.id })).toMatchObject({ status: "pass" });

    // Over the limit (the owner's unrefused maintenance, or a guard that let too many through).
    await seedProjects(org.id, FREE.projects);
    const over = await checkPlanLimits({ orgId: org.id });
    expect(over.status).toBe("fail");
    expect(over.detail).toContain(`over their plan's limit: ${org.id} projects ${FREE.projects + 1}/${FREE.projects} (free)`);

    // Back within the limit, but the counter forged (a release that never happened).
    await (await ownerDb()).query("delete from public.projects where org_id = $1 and name like 'Seed %'", [org.id]);
    expect(await checkPlanLimits({ orgId: org.id })).toMatchObject({ status: "pass" });
    await (await ownerDb()).query("update public.entitlements set used = used + 4 where org_id = $1 and resource = 'projects'", [org.id]);
    const drift = await checkPlanLimits({ orgId: org.id });
    expect(drift.status).toBe("fail");
    expect(drift.detail).toContain(`counter out of step with the rows: ${org.id} projects counted 1, counter 5`);
  });
});
