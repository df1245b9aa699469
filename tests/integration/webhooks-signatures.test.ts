import { afterAll, describe, expect, it, vi } from "vitest";

await vi.hoisted(async () => {
  const { webhookEnv } = await import("../helpers/webhook-secrets");
  Object.assign(process.env, webhookEnv(), { WEBHOOK_TOLERANCE_SECONDS: "300" });
});

import { closeDb, ownerDb } from "@/lib/db";
import { metricsRegistry } from "@/lib/observability/metrics";
import { POST as clerkPost } from "@/app/api/webhooks/clerk/route";
import { POST as stripePost } from "@/app/api/webhooks/stripe/route";
import { POST as muxPost } from "@/app/api/webhooks/mux/route";
import { GET as nylasGet, POST as nylasPost } from "@/app/api/webhooks/nylas/route";
import { POST as dubPost } from "@/app/api/webhooks/dub/route";
import { createOrg } from "../helpers/tenants";
import {
  EXPECTED_STATE,
  INITIAL_STATE,
  SECRETS,
  WRONG,
  eventBody,
  linkedObject,
  nowSeconds,
  objectState,
  rejectionCount,
  signatureHeaders,
  storedEvents,
  webhookRequest,
  type Provider,
} from "../helpers/webhooks";

afterAll(closeDb);

const ROUTES: Record<Provider, (request: Request) => Promise<Response>> = { clerk: clerkPost, stripe: stripePost, mux: muxPost, nylas: nylasPost, dub: dubPost };
const PROVIDERS = Object.keys(ROUTES) as Provider[];
const SIGNS_TIME: Record<Provider, boolean> = { clerk: true, stripe: true, mux: true, nylas: false, dub: false };

async function fixture(provider: Provider) {
  const org = await createOrg(`Wh${provider}`);
  const externalId = await linkedObject(provider, org.id);
  const event = eventBody(provider, externalId);
  return { org, externalId, ...event };
}

/** webhook_events_total{provider, outcome="rejected"} in /health/metrics. */
async function rejectedMetric(provider: Provider): Promise<number> {
  const metric = await metricsRegistry().getSingleMetric("webhook_events_total")?.get();
  return metric?.values.find((v) => v.labels.provider === provider && v.labels.outcome === "rejected")?.value ?? 0;
}

async function deliver(provider: Provider, body: string | Uint8Array, headers: Record<string, string>) {
  const response = await ROUTES[provider](webhookRequest(provider, body, headers));
  return { status: response.status, text: await response.text() };
}

describe.each(PROVIDERS)("WH-1 %s: verified with the provider's own mechanism before parsing", (provider) => {
  const sign = (body: string, id: string, over: { secret?: string; timestamp?: number } = {}) => signatureHeaders(provider, body, { svixId: id, ...over });

  it("a valid delivery is processed: 200, one processed row, the effect applied in the linked org", async () => {
    const f = await fixture(provider);
    const res = await deliver(provider, f.body, sign(f.body, f.id));
    expect(res).toEqual({ status: 200, text: JSON.stringify({ status: "processed" }) });
    expect(await storedEvents(provider, f.id)).toEqual([{ status: "processed", attempts: 1, last_error: null, note: null, org_id: f.org.id }]);
    expect(await objectState(provider, f.externalId)).toBe(EXPECTED_STATE[provider]);
  });

  it("the second active secret verifies too (rotation), the same delivery again is a duplicate", async () => {
    const f = await fixture(provider);
    const headers = sign(f.body, f.id, { secret: SECRETS[provider][1] });
    expect((await deliver(provider, f.body, headers)).status).toBe(200);
    expect(await deliver(provider, f.body, headers)).toEqual({ status: 200, text: JSON.stringify({ status: "duplicate" }) });
    expect(await storedEvents(provider, f.id)).toMatchObject([{ status: "processed", attempts: 1 }]);
  });

  const rejections: { name: string; status: number; reason: string; make: (f: Awaited<ReturnType<typeof fixture>>) => { body: string | Uint8Array; headers: Record<string, string> }; only?: boolean }[] = [
    { name: "a tampered body", status: 401, reason: "bad_signature", make: (f) => ({ body: f.body.replace(f.externalId, `${f.externalId}x`), headers: sign(f.body, f.id) }) },
    { name: "a secret that is not configured", status: 401, reason: "bad_signature", make: (f) => ({ body: f.body, headers: sign(f.body, f.id, { secret: WRONG[provider] }) }) },
    { name: "no signature headers", status: 400, reason: "missing_headers", make: (f) => ({ body: f.body, headers: {} }) },
    {
      name: "malformed signature headers",
      status: 400,
      reason: "malformed_headers",
      make: (f) => ({ body: f.body, headers: Object.fromEntries(Object.keys(sign(f.body, f.id)).map((h) => [h, "v1=not-a-signature"])) }),
    },
    // Verified before parsed: a forged body is a bad signature, whatever it contains.
    { name: "a forged body that is not even JSON", status: 401, reason: "bad_signature", make: (f) => ({ body: "{not json", headers: sign(f.body, f.id) }) },
    { name: "a body that is not UTF-8", status: 400, reason: "malformed_body", make: (f) => ({ body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), headers: sign(f.body, f.id) }) },
  ];
  if (SIGNS_TIME[provider]) {
    rejections.push(
      { name: "a stale timestamp (tolerance + 60 s ago)", status: 401, reason: "stale_timestamp", make: (f) => ({ body: f.body, headers: sign(f.body, f.id, { timestamp: nowSeconds() - 360 }) }) },
      { name: "a timestamp too far ahead (tolerance + 60 s)", status: 401, reason: "future_timestamp", make: (f) => ({ body: f.body, headers: sign(f.body, f.id, { timestamp: nowSeconds() + 360 }) }) },
    );
  }

  it.each(rejections)("$name is refused ($status, no body), counted, and nothing is stored", async ({ status, reason, make }) => {
    const f = await fixture(provider);
    const { body, headers } = make(f);
    const before = await rejectionCount(provider, reason);
    const metricBefore = await rejectedMetric(provider);
    const res = await deliver(provider, body, headers);
    expect(res).toEqual({ status, text: "" });
    expect(await rejectionCount(provider, reason)).toBe(before + 1);
    expect(await rejectedMetric(provider)).toBe(metricBefore + 1);
    expect(await storedEvents(provider, f.id)).toEqual([]);
    expect(await objectState(provider, f.externalId)).toBe(provider === "clerk" ? `Wh${provider}` : INITIAL_STATE[provider]);
  });

  it("within the tolerance on both sides (a little ahead, a little behind) is accepted", async () => {
    for (const offset of SIGNS_TIME[provider] ? [-240, 240] : [0]) {
      const f = await fixture(provider);
      expect((await deliver(provider, f.body, sign(f.body, f.id, { timestamp: nowSeconds() + offset }))).status).toBe(200);
    }
  });

  it("a verified event of a type not handled is stored as ignored, without its payload, and answered 200", async () => {
    const org = await createOrg("WhIgnored");
    const externalId = await linkedObject(provider, org.id);
    const f = eventBody(provider, externalId, { type: "something.else_happened" });
    expect(await deliver(provider, f.body, sign(f.body, f.id))).toEqual({ status: 200, text: JSON.stringify({ status: "ignored" }) });
    expect(await storedEvents(provider, f.id)).toMatchObject([{ status: "ignored", note: "event type not handled", org_id: null }]);
    // Never replayed, so its payload is not kept.
    const [stored] = await (await ownerDb()).query<{ payload: unknown }>("select payload from public.webhook_events where provider = $1 and event_id = $2", [provider, f.id]);
    expect(stored!.payload).toEqual({});
  });

  it("an event about an object our records do not link to any org changes nothing (the payload alone never names the org)", async () => {
    const other = await createOrg("WhUnlinked");
    // An object id that exists nowhere in our records, for Clerk an org that was never provisioned here.
    const f = eventBody(provider, provider === "clerk" ? `org_unlinked${Date.now()}` : provider === "stripe" ? `cus_unlinked${Date.now()}` : `unlinked${Date.now()}`);
    expect(await deliver(provider, f.body, sign(f.body, f.id))).toEqual({ status: 200, text: JSON.stringify({ status: "ignored" }) });
    expect(await storedEvents(provider, f.id)).toMatchObject([{ status: "ignored", note: "no local record of this object", org_id: null }]);
    expect(await objectState("clerk", other.id)).toBe("WhUnlinked");
  });

  it("a body over WEBHOOK_MAX_BODY_BYTES is refused with 413 before verification", async () => {
    const body = JSON.stringify({ pad: "x".repeat(1024 * 1024) });
    expect((await deliver(provider, body, sign(body, "evt_big"))).status).toBe(413);
  });
});

describe("WH-1: replays of providers that sign no time (Nylas, Dub) are stopped by the events table alone", () => {
  it.each(["nylas", "dub"] as const)("%s: the same signed delivery a day later is a duplicate with no second effect", async (provider) => {
    const f = await fixture(provider);
    const headers = signatureHeaders(provider, f.body);
    expect((await deliver(provider, f.body, headers)).status).toBe(200);
    const again = await deliver(provider, f.body, headers);
    expect(again).toEqual({ status: 200, text: JSON.stringify({ status: "duplicate" }) });
    expect(await storedEvents(provider, f.id)).toMatchObject([{ status: "processed", attempts: 1 }]);
  });
});

describe("Nylas endpoint challenge", () => {
  it("echoes a plain challenge token as text/plain and refuses anything else", async () => {
    const ok = await nylasGet(new Request("http://localhost:3000/api/webhooks/nylas?challenge=abc_123-XYZ"));
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await ok.text()).toBe("abc_123-XYZ");
    const markup = await nylasGet(new Request("http://localhost:3000/api/webhooks/nylas?challenge=%3Cscript%3E"));
    expect(markup.status).toBe(404);
  });
});
