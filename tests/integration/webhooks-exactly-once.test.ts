import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

await vi.hoisted(async () => {
  const { webhookEnv } = await import("../helpers/webhook-secrets");
  Object.assign(process.env, webhookEnv());
});

import { closeDb, ownerDb, withWebhookService } from "@/lib/db";
import { pruneWebhookEvents, replayWebhookRow } from "@/lib/webhooks";
import { webhookEventsPrune } from "@/lib/webhooks/schedule";
import { SCHEDULE_DEFINITIONS } from "@/lib/jobs/schedule-registry";
import { registerSchedules, runDueSchedules } from "@/lib/jobs";
import { POST as stripePost } from "@/app/api/webhooks/stripe/route";
import { POST as clerkPost } from "@/app/api/webhooks/clerk/route";
import { checkAuditChain } from "@/lib/controls/checks";
import { createOrg, uid } from "../helpers/tenants";
import { eventBody, linkedObject, objectState, signedRequest, storedEvents } from "../helpers/webhooks";

afterAll(closeDb);

// A scratch schema outside the app schemas (no RLS coverage, no definer listing): counters and a one-shot fault that
// the tests attach to the real tables with triggers, dropped afterwards. No code of ours is replaced.
const scratch = `wh_test_${uid()}`;

beforeAll(async () => {
  const db = await ownerDb();
  await db.exec(`
    create schema ${scratch};
    grant usage on schema ${scratch} to webhook_service;
    create table ${scratch}.effects (external_id text not null, n int not null default 0, primary key (external_id));
    create table ${scratch}.faults (external_id text primary key, failing_attempts int not null);
    create table ${scratch}.delays (external_id text primary key, seconds double precision not null);
    grant select, insert, update on ${scratch}.effects, ${scratch}.faults, ${scratch}.delays to webhook_service;
    -- Counts every UPDATE of a provider object: one per applied effect. A delay armed for the object keeps the
    -- effect's transaction open (holding the event's row lock) while the concurrent deliveries arrive.
    create function ${scratch}.count_effect() returns trigger language plpgsql set search_path = '' as $$
    begin
      perform pg_catalog.pg_sleep(d.seconds) from ${scratch}.delays d where d.external_id = new.external_id;
      insert into ${scratch}.effects (external_id, n) values (new.external_id, 1)
      on conflict (external_id) do update set n = ${scratch}.effects.n + 1;
      return new;
    end $$;
    create trigger ${scratch}_count after update on public.provider_objects for each row execute function ${scratch}.count_effect();
    -- A fault at COMMIT, after the effect and the processed mark: a deferred constraint trigger that raises while a
    -- fault is armed for the event's object, on its first failing_attempts attempts.
    create function ${scratch}.fault_at_commit() returns trigger language plpgsql set search_path = '' as $$
    begin
      -- Keyed on the attempt number, not on a counter: the raise rolls back whatever this transaction wrote.
      if new.status = 'processed' and exists (select 1 from ${scratch}.faults f where f.external_id = new.object_id and new.attempts <= f.failing_attempts) then
        raise exception 'injected fault at commit' using errcode = '40001';
      end if;
      return null;
    end $$;
    create constraint trigger ${scratch}_fault after update on public.webhook_events deferrable initially deferred
      for each row execute function ${scratch}.fault_at_commit();
  `);
});

afterAll(async () => {
  const db = await ownerDb();
  await db.exec(`
    drop trigger if exists ${scratch}_count on public.provider_objects;
    drop trigger if exists ${scratch}_fault on public.webhook_events;
    drop schema if exists ${scratch} cascade;
  `);
});

async function effects(externalId: string): Promise<number> {
  const [row] = await (await ownerDb()).query<{ n: number }>(`select n from ${scratch}.effects where external_id = $1`, [externalId]);
  return row?.n ?? 0;
}

async function stripeCustomer(name: string) {
  const org = await createOrg(name);
  const customer = await linkedObject("stripe", org.id);
  return { org, customer };
}

describe("WH-2: exactly one effect per event", () => {
  it("50 concurrent deliveries of one event: one effect, one processed row, every delivery answered 200", async () => {
    const { customer } = await stripeCustomer("WhConcurrent");
    await (await ownerDb()).query(`insert into ${scratch}.delays (external_id, seconds) values ($1, 0.3)`, [customer]);
    const f = eventBody("stripe", customer, { state: "delinquent" });
    const responses = await Promise.all(Array.from({ length: 50 }, () => stripePost(signedRequest("stripe", f.body))));
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ status: string }>));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(bodies.filter((b) => b.status === "processed")).toHaveLength(1);
    expect(bodies.filter((b) => b.status === "duplicate")).toHaveLength(49);
    expect(await storedEvents("stripe", f.id)).toMatchObject([{ status: "processed", attempts: 1 }]);
    expect(await effects(customer)).toBe(1);
    expect(await objectState("stripe", customer)).toBe("delinquent");
  });

  it("a duplicate of a processed event is answered 200 and its effect does not run again", async () => {
    const { customer } = await stripeCustomer("WhDuplicate");
    const f = eventBody("stripe", customer);
    for (let i = 0; i < 3; i++) expect((await stripePost(signedRequest("stripe", f.body))).status).toBe(200);
    expect(await effects(customer)).toBe(1);
    expect(await storedEvents("stripe", f.id)).toMatchObject([{ status: "processed", attempts: 1 }]);
  });

  it("a fault after the effect and before commit rolls both back (500, failed); the provider's retry applies it once", async () => {
    const { customer } = await stripeCustomer("WhFault");
    await (await ownerDb()).query(`insert into ${scratch}.faults (external_id, failing_attempts) values ($1, 1)`, [customer]);
    const f = eventBody("stripe", customer, { state: "delinquent" });

    const first = await stripePost(signedRequest("stripe", f.body));
    expect(first.status).toBe(500);
    expect(await first.text()).toBe("");
    expect(await effects(customer)).toBe(0);
    expect(await objectState("stripe", customer)).toBe("unknown");
    const [failed] = await storedEvents("stripe", f.id);
    expect(failed).toMatchObject({ status: "failed", attempts: 1 });
    // Sanitised: the error's kind and SQLSTATE, never its message (which the trigger wrote).
    expect(failed!.last_error).toMatch(/\(SQLSTATE 40001\)$/);
    expect(failed!.last_error).not.toContain("injected");

    const retry = await stripePost(signedRequest("stripe", f.body));
    expect(retry.status).toBe(200);
    expect(await effects(customer)).toBe(1);
    expect(await storedEvents("stripe", f.id)).toMatchObject([{ status: "processed", attempts: 2, last_error: null }]);
    expect((await stripePost(signedRequest("stripe", f.body))).status).toBe(200);
    expect(await effects(customer)).toBe(1);
  });

  it("20 concurrent retries of a failed event: one effect, one processed row", async () => {
    const { customer } = await stripeCustomer("WhConcurrentRetry");
    await (await ownerDb()).query(`insert into ${scratch}.faults (external_id, failing_attempts) values ($1, 1)`, [customer]);
    const f = eventBody("stripe", customer, { state: "delinquent" });
    expect((await stripePost(signedRequest("stripe", f.body))).status).toBe(500);
    await (await ownerDb()).query(`insert into ${scratch}.delays (external_id, seconds) values ($1, 0.3)`, [customer]);
    const retries = await Promise.all(Array.from({ length: 20 }, () => stripePost(signedRequest("stripe", f.body))));
    const outcomes = await Promise.all(retries.map((r) => r.json() as Promise<{ status: string }>));
    expect(retries.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(outcomes.filter((o) => o.status === "processed")).toHaveLength(1);
    expect(await effects(customer)).toBe(1);
    expect(await storedEvents("stripe", f.id)).toMatchObject([{ status: "processed", attempts: 2 }]);
  });

  it("a failed row is replayed from its stored payload: processed once, and a second replay does nothing", async () => {
    const { customer } = await stripeCustomer("WhReplay");
    await (await ownerDb()).query(`insert into ${scratch}.faults (external_id, failing_attempts) values ($1, 1)`, [customer]);
    const f = eventBody("stripe", customer, { state: "delinquent" });
    expect((await stripePost(signedRequest("stripe", f.body))).status).toBe(500);
    const [row] = await (await ownerDb()).query<{ id: string }>("select id from public.webhook_events where provider = 'stripe' and event_id = $1", [f.id]);
    const id = row!.id;
    expect(await replayWebhookRow(id)).toBe("processed");
    expect(await replayWebhookRow(id)).toBeNull();
    expect(await effects(customer)).toBe(1);
    expect(await objectState("stripe", customer)).toBe("delinquent");
  });
});

describe("AUD-3: a webhook effect is audited in its own transaction, once", () => {
  it("a Clerk rename appends one organization.renamed entry by the webhook actor; its duplicate appends none; the chain verifies", async () => {
    const org = await createOrg("WhAudit");
    const f = eventBody("clerk", org.id, { state: "Audited name" });
    const request = () => signedRequest("clerk", f.body, { svixId: f.id.replace("evt_", "msg_") });
    expect((await clerkPost(request())).status).toBe(200);
    expect((await clerkPost(request())).status).toBe(200);
    const entries = await (await ownerDb()).query<{ actor_type: string; actor_id: string; action: string; target_id: string; changes: Record<string, unknown> }>(
      "select actor_type, actor_id, action, target_id, changes from public.audit_logs where org_id = $1 order by seq",
      [org.id],
    );
    expect(entries).toEqual([
      { actor_type: "webhook", actor_id: "clerk", action: "organization.renamed", target_id: org.id, changes: { from: "WhAudit", to: "Audited name", event: f.id.replace("evt_", "msg_") } },
    ]);
    expect(await checkAuditChain({ orgId: org.id })).toMatchObject({ status: "pass" });
  });
});

describe("WH-3: out-of-order events never overwrite newer state", () => {
  it("Stripe events delivered newest first end in the newest state; the older one is ignored as superseded", async () => {
    const { customer } = await stripeCustomer("WhOrder");
    const t = Date.now() - 60_000;
    const newer = eventBody("stripe", customer, { at: t + 10_000, state: "delinquent" });
    const older = eventBody("stripe", customer, { at: t, state: "active" });
    expect((await stripePost(signedRequest("stripe", newer.body))).status).toBe(200);
    expect((await stripePost(signedRequest("stripe", older.body))).status).toBe(200);
    expect(await objectState("stripe", customer)).toBe("delinquent");
    expect(await storedEvents("stripe", older.id)).toMatchObject([{ status: "ignored", note: "superseded by a newer event" }]);
    // In order, the later one still applies.
    const latest = eventBody("stripe", customer, { at: t + 20_000, state: "active" });
    expect((await stripePost(signedRequest("stripe", latest.body))).status).toBe(200);
    expect(await objectState("stripe", customer)).toBe("active");
  });

  it("Clerk organisation renames delivered out of order leave the newest name", async () => {
    const org = await createOrg("WhClerkOrder");
    const t = Date.now() - 60_000;
    const newer = eventBody("clerk", org.id, { at: t + 5_000, state: "Newest name" });
    const older = eventBody("clerk", org.id, { at: t, state: "Old name" });
    expect((await clerkPost(signedRequest("clerk", newer.body, { svixId: newer.id.replace("evt_", "msg_") }))).status).toBe(200);
    expect((await clerkPost(signedRequest("clerk", older.body, { svixId: older.id.replace("evt_", "msg_") }))).status).toBe(200);
    expect(await objectState("clerk", org.id)).toBe("Newest name");
  });
});

describe("WH-2: effects run as webhook_service confined to the one org our records resolved", () => {
  it("inside an event's transaction the effect sees and changes only that org's rows, and cannot widen its scope", async () => {
    const a = await stripeCustomer("WhScopeA");
    const b = await stripeCustomer("WhScopeB");
    const f = eventBody("stripe", a.customer);
    const seen = await withWebhookService(async (tx) => {
      const [claimed] = await tx.query<{ id: string }>("select * from private.webhook_claim('stripe', $1, 'customer.updated', $2::jsonb, $3)", [f.id, f.body, a.customer]);
      const [entered] = await tx.query<{ org: string }>("select private.webhook_enter_org($1, 'customer', $2) as org", [claimed!.id, a.customer]);
      // Forged claims for org B change nothing: the policies read the org entered in this transaction.
      await tx.query("select set_config('request.jwt.claims', $1, true)", [JSON.stringify({ sub: "service:webhooks", o: { id: b.org.id, rol: "service" } })]);
      const visible = await tx.query<{ org_id: string }>("select org_id from public.provider_objects");
      const updatedB = await tx.query("update public.provider_objects set status = 'hijacked' where org_id = $1 returning 1", [b.org.id]);
      const orgs = await tx.query<{ id: string }>("select id from public.organizations");
      const role = await tx.query<{ r: string }>("select current_user::text as r");
      throw Object.assign(new Error("rollback"), { seen: { entered: entered!.org, visible: [...new Set(visible.map((v) => v.org_id))], updatedB: updatedB.length, orgs: orgs.map((o) => o.id), role: role[0]!.r } });
    }).catch((e: { seen?: unknown }) => e.seen);
    expect(seen).toEqual({ entered: a.org.id, visible: [a.org.id], updatedB: 0, orgs: [a.org.id], role: "webhook_service" });
    expect(await objectState("stripe", b.customer)).toBe("unknown");
  });

  it("webhook_service reads no table directly and cannot write its own scope", async () => {
    for (const sql of ["select 1 from public.webhook_events limit 1", "insert into private.webhook_scopes values (txid_current(), gen_random_uuid(), 'org_x')", "select 1 from public.users limit 1", "select 1 from public.api_keys limit 1"]) {
      await expect(withWebhookService((tx) => tx.query(sql)), sql).rejects.toMatchObject({ code: "42501" });
    }
    // Before an org is entered, no effect table shows a row.
    expect(await withWebhookService((tx) => tx.query("select 1 from public.provider_objects"))).toEqual([]);
    expect(await withWebhookService((tx) => tx.query("select 1 from public.organizations"))).toEqual([]);
  });
});

describe("WH-2 retention: pruneWebhookEvents", () => {
  it("removes deliveries older than the retention, keeps newer ones, and refuses a retention under every provider's retry horizon", async () => {
    const db = await ownerDb();
    const old = `evt_old${uid()}`;
    const recent = `evt_recent${uid()}`;
    await db.query(
      `insert into public.webhook_events (provider, event_id, event_type, status, payload, received_at)
       values ('dub', $1, 'link.updated', 'processed', '{}', now() - interval '31 days'), ('dub', $2, 'link.updated', 'processed', '{}', now() - interval '29 days')`,
      [old, recent],
    );
    const removed = await pruneWebhookEvents();
    expect(removed).toBeGreaterThanOrEqual(1);
    expect(await storedEvents("dub", old)).toEqual([]);
    expect(await storedEvents("dub", recent)).toHaveLength(1);
    await expect(pruneWebhookEvents(new Date(Date.now() - 3 * 86_400_000))).rejects.toMatchObject({ code: "22023" });
    expect(await pruneWebhookEvents(new Date(Date.now() - 28 * 86_400_000))).toBeGreaterThanOrEqual(1);
    expect(await storedEvents("dub", recent)).toEqual([]);
  });
});

describe("WH-2 retention on the job queue's scheduler", () => {
  it("the webhooks.prune task is registered for the workers and, once due, removes deliveries past the retention under its lease", async () => {
    expect(SCHEDULE_DEFINITIONS.map((s) => s.name)).toContain("webhooks.prune");
    const db = await ownerDb();
    const old = `evt_sched_old${uid()}`;
    const recent = `evt_sched_recent${uid()}`;
    await db.query(
      `insert into public.webhook_events (provider, event_id, event_type, status, payload, received_at)
       values ('nylas', $1, 'grant.updated', 'processed', '{}', now() - interval '40 days'), ('nylas', $2, 'grant.updated', 'processed', '{}', now() - interval '1 day')`,
      [old, recent],
    );
    await registerSchedules([webhookEventsPrune]);
    // Not due yet: registering does not run it, and a run now claims nothing.
    await db.query("update private.scheduled_tasks set next_run_at = now() + interval '1 hour', locked_until = null, lease_token = null where name = $1", [webhookEventsPrune.name]);
    expect(await runDueSchedules({ schedules: [webhookEventsPrune] })).toEqual([]);
    expect(await storedEvents("nylas", old)).toHaveLength(1);

    await db.query("update private.scheduled_tasks set next_run_at = now() - interval '1 second' where name = $1", [webhookEventsPrune.name]);
    const runs = await runDueSchedules({ schedules: [webhookEventsPrune] });
    expect(runs).toMatchObject([{ name: "webhooks.prune", outcome: "succeeded" }]);
    expect((runs[0]!.result as { removed: number }).removed).toBeGreaterThanOrEqual(1);
    expect(await storedEvents("nylas", old)).toEqual([]);
    expect(await storedEvents("nylas", recent)).toHaveLength(1);
  });
});
