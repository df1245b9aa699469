import { afterAll, describe, expect, it, vi } from "vitest";

// No signing secret for any provider (what lib/env reads in this file).
vi.hoisted(() => {
  for (const name of ["CLERK_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET", "MUX_WEBHOOK_SECRET", "NYLAS_WEBHOOK_SECRET", "DUB_WEBHOOK_SECRET"]) delete process.env[name];
});

import { closeDb, ownerDb } from "@/lib/db";
import { POST as clerkPost } from "@/app/api/webhooks/clerk/route";
import { POST as stripePost } from "@/app/api/webhooks/stripe/route";
import { POST as muxPost } from "@/app/api/webhooks/mux/route";
import { GET as nylasGet, POST as nylasPost } from "@/app/api/webhooks/nylas/route";
import { POST as dubPost } from "@/app/api/webhooks/dub/route";
import { eventBody, signedRequest, type Provider } from "../helpers/webhooks";

afterAll(closeDb);

const ROUTES: Record<Provider, (request: Request) => Promise<Response>> = { clerk: clerkPost, stripe: stripePost, mux: muxPost, nylas: nylasPost, dub: dubPost };

describe("WH-1: a provider without a signing secret has no endpoint (fail closed)", () => {
  it.each(Object.keys(ROUTES) as Provider[])("%s: 404 with no body, nothing stored, nothing counted as a rejection", async (provider) => {
    const f = eventBody(provider, "org_unconfigured");
    const svixId = f.id.replace("evt_", "msg_");
    const db = await ownerDb();
    const rejections = () => db.query<{ n: string }>("select coalesce(sum(count), 0)::text as n from private.webhook_rejections where provider = $1", [provider]);
    const before = await rejections();
    const response = await ROUTES[provider](signedRequest(provider, f.body, { svixId }));
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("");
    expect(await db.query("select 1 from public.webhook_events where provider = $1 and event_id in ($2, $3)", [provider, f.id, svixId])).toEqual([]);
    expect(await rejections()).toEqual(before);
  });

  it("the Nylas endpoint check is not answered either", async () => {
    expect((await nylasGet(new Request("http://localhost:3000/api/webhooks/nylas?challenge=abc"))).status).toBe(404);
  });
});
