import { afterAll, describe, expect, it, vi } from "vitest";

await vi.hoisted(async () => {
  const { webhookEnv } = await import("../helpers/webhook-secrets");
  Object.assign(process.env, webhookEnv());
});

import { closeDb, ownerDb, withTenant } from "@/lib/db";
import { listWebhookEvents, replayWebhookEvent } from "@/lib/webhooks/log";
import { checkWebhookBacklog, checkWebhookRejections } from "@/lib/controls/checks";
import { POST as stripePost } from "@/app/api/webhooks/stripe/route";
import WebhooksPage from "@/app/(dashboard)/settings/webhooks/page";
import { orgWithMembers, request } from "../helpers/tenants";
import { inRolledBackOwnerTransaction } from "../helpers/owner-scratch";
import { eventBody, linkedObject, objectState, signedRequest, storedEvents, WRONG } from "../helpers/webhooks";

afterAll(closeDb);

/** An org with its members and a Stripe customer linked to it in our records, and a delivery about that customer. */
async function failedDelivery(name: string) {
  const tenants = await orgWithMembers(name);
  const customer = `cus_${name.toLowerCase()}${Date.now()}`;
  const f = eventBody("stripe", customer, { state: "delinquent" });
  await (await ownerDb()).query("insert into public.provider_objects (org_id, provider, kind, external_id, status) values ($1, 'stripe', 'customer', $2, 'unknown')", [tenants.org.id, customer]);
  return { ...tenants, customer, f };
}

describe("the admin webhook log (Settings › Webhooks)", () => {
  it("admins see their own org's deliveries per provider, members and other orgs see none, and nobody reads a payload", async () => {
    const a = await orgWithMembers("WhLogA");
    const b = await orgWithMembers("WhLogB");
    const customerA = await linkedObject("stripe", a.org.id);
    const customerB = await linkedObject("stripe", b.org.id);
    const fa = eventBody("stripe", customerA);
    const fb = eventBody("stripe", customerB);
    expect((await stripePost(signedRequest("stripe", fa.body))).status).toBe(200);
    expect((await stripePost(signedRequest("stripe", fb.body))).status).toBe(200);

    const adminView = await withTenant(a.admin.claims, (tx) => listWebhookEvents(tx));
    expect(adminView.stripe.map((e) => e.event_id)).toEqual([fa.id]);
    expect(adminView.stripe[0]).toMatchObject({ provider: "stripe", event_type: "customer.updated", status: "processed", attempts: 1, last_error: null });
    expect(Object.keys(adminView.stripe[0]!)).not.toContain("payload");
    expect(adminView.clerk).toEqual([]);
    expect((await withTenant(a.owner.claims, (tx) => listWebhookEvents(tx))).stripe).toHaveLength(1);
    expect((await withTenant(a.member.claims, (tx) => listWebhookEvents(tx))).stripe).toEqual([]);
    await expect(withTenant(a.admin.claims, (tx) => tx.query("select payload from public.webhook_events limit 1"))).rejects.toMatchObject({ code: "42501" });

    // The page itself: admins only (TEN-3), each provider's deliveries and whether it is configured, nothing secret.
    const page = await WebhooksPage.readFor(a.admin, undefined, request());
    expect(page).toMatchObject({ kind: "ok", data: { configured: { clerk: true, stripe: true, mux: true, nylas: true, dub: true } } });
    expect(page.kind === "ok" && page.data.deliveries.stripe.map((e) => e.event_id)).toEqual([fa.id]);
    expect(JSON.stringify(page)).not.toMatch(/whsec_|payload/);
    expect(await WebhooksPage.readFor(a.member, undefined, request())).toMatchObject({ kind: "admins_only", title: "Webhooks" });
  });

  it("Replay re-runs a failed delivery from its stored payload for an admin of its org only, and audits it", async () => {
    const a = await failedDelivery("WhReplayA");
    const b = await orgWithMembers("WhReplayB");
    const db = await ownerDb();
    // The first delivery fails: the link's status is refused by a check the test adds for this one object.
    await db.query(`alter table public.provider_objects add constraint wh_replay_probe check (external_id <> '${a.customer}' or status <> 'delinquent') not valid`);
    try {
      expect((await stripePost(signedRequest("stripe", a.f.body))).status).toBe(500);
    } finally {
      await db.query("alter table public.provider_objects drop constraint wh_replay_probe");
    }
    const [row] = await db.query<{ id: string }>("select id from public.webhook_events where provider = 'stripe' and event_id = $1", [a.f.id]);
    expect(await storedEvents("stripe", a.f.id)).toMatchObject([{ status: "failed", attempts: 1, last_error: "error (SQLSTATE 23514)", org_id: a.org.id }]);

    const log = await withTenant(a.admin.claims, (tx) => listWebhookEvents(tx));
    expect(log.stripe[0]).toMatchObject({ id: row!.id, status: "failed", last_error: "error (SQLSTATE 23514)" });

    expect(await replayWebhookEvent(a.member, { id: row!.id }, request())).toMatchObject({ ok: false, code: "forbidden" });
    expect(await replayWebhookEvent(b.admin, { id: row!.id }, request())).toMatchObject({ ok: false, code: "not_found" });
    expect(await replayWebhookEvent(a.admin, { id: "not-a-uuid" }, request())).toMatchObject({ ok: false, code: "invalid_input" });
    expect(await objectState("stripe", a.customer)).toBe("unknown");

    expect(await replayWebhookEvent(a.admin, { id: row!.id }, request())).toEqual({ ok: true, data: { id: row!.id, outcome: "processed" } });
    expect(await objectState("stripe", a.customer)).toBe("delinquent");
    expect(await storedEvents("stripe", a.f.id)).toMatchObject([{ status: "processed", attempts: 2, last_error: null }]);
    // No longer failed: a second replay is refused, nothing runs again.
    expect(await replayWebhookEvent(a.admin, { id: row!.id }, request())).toMatchObject({ ok: false, code: "not_found" });
    const audits = await db.query<{ action: string; actor_id: string; target_id: string }>(
      "select action, actor_id, target_id from public.audit_logs where org_id = $1 and action = 'webhook.replayed'",
      [a.org.id],
    );
    expect(audits).toEqual([{ action: "webhook.replayed", actor_id: a.admin.userId, target_id: row!.id }]);
  });
});

describe("live checks: webhook-rejections and webhook-backlog", () => {
  it("webhook-rejections passes with none in 24 hours and warns with the count once a delivery is rejected", async () => {
    const result = await inRolledBackOwnerTransaction(async (tx) => {
      await tx.query("delete from private.webhook_rejections");
      const none = await checkWebhookRejections(tx);
      await tx.query("insert into private.webhook_rejections (provider, reason, minute, count) values ('stripe', 'bad_signature', date_trunc('minute', now()), 3)");
      await tx.query("insert into private.webhook_rejections (provider, reason, minute, count) values ('stripe', 'bad_signature', date_trunc('minute', now()) - interval '25 hours', 7)");
      return { none, some: await checkWebhookRejections(tx) };
    });
    expect(result.none.status).toBe("pass");
    expect(result.some.status).toBe("warn");
    expect(result.some.detail).toMatch(/^3 webhook deliveries were rejected in the last 24 hours/);
  });

  it("a rejected delivery over HTTP is what the check counts", async () => {
    const f = eventBody("stripe", "cus_probe");
    const before = await checkWebhookRejections();
    expect((await stripePost(signedRequest("stripe", f.body, { secret: WRONG.stripe }))).status).toBe(401);
    const after = await checkWebhookRejections();
    const count = (d: string) => (/^(\d+) /.exec(d)?.[1] ? Number(/^(\d+) /.exec(d)![1]) : 0);
    expect(after.status).toBe("warn");
    expect(count(after.detail)).toBeGreaterThan(count(before.detail));
  });

  it("webhook-backlog fails on an event failed or left received for over an hour, and passes on recent ones", async () => {
    const results = await inRolledBackOwnerTransaction(async (tx) => {
      await tx.query("delete from public.webhook_events where status in ('failed', 'received')");
      const clean = await checkWebhookBacklog(tx);
      await tx.query(
        "insert into public.webhook_events (provider, event_id, event_type, status, payload, updated_at) values ('dub', 'evt_recentfail', 'link.updated', 'failed', '{}', now() - interval '10 minutes')",
      );
      const recent = await checkWebhookBacklog(tx);
      await tx.query(
        "insert into public.webhook_events (provider, event_id, event_type, status, payload, updated_at) values ('dub', 'evt_oldfail', 'link.updated', 'failed', '{}', now() - interval '2 hours')",
      );
      const failed = await checkWebhookBacklog(tx);
      await tx.query("delete from public.webhook_events where event_id = 'evt_oldfail'");
      await tx.query(
        "insert into public.webhook_events (provider, event_id, event_type, status, payload, updated_at) values ('dub', 'evt_stuck', 'link.updated', 'received', '{}', now() - interval '2 hours')",
      );
      const stuck = await checkWebhookBacklog(tx);
      return { clean, recent, failed, stuck };
    });
    expect(results.clean.status).toBe("pass");
    expect(results.recent.status).toBe("pass");
    expect(results.failed).toMatchObject({ status: "fail", detail: expect.stringMatching(/^1 webhook event\(s\) failed and 0 received/) });
    expect(results.stuck).toMatchObject({ status: "fail", detail: expect.stringMatching(/^0 webhook event\(s\) failed and 1 received/) });
  });
});
