import { createHmac, randomBytes } from "node:crypto";
import Stripe from "stripe";
import { Webhook } from "svix";
import { ownerDb } from "@/lib/db";

export { SECRETS, WRONG, webhookEnv, type Provider } from "./webhook-secrets";
import { SECRETS, type Provider } from "./webhook-secrets";

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export interface SignOptions {
  secret?: string;
  /** Unix seconds of the signature (providers that sign a time). */
  timestamp?: number;
  /** Svix message id (Clerk's event id). */
  svixId?: string;
}

const alnum = () => randomBytes(24).toString("hex");
const hmacHex = (secret: string, data: string) => createHmac("sha256", secret).update(data).digest("hex");

/** The provider's signature headers for exactly this body. */
export function signatureHeaders(provider: Provider, body: string, options: SignOptions = {}): Record<string, string> {
  const secret = options.secret ?? SECRETS[provider][0];
  const t = options.timestamp ?? nowSeconds();
  switch (provider) {
    case "clerk": {
      const id = options.svixId ?? `msg_${alnum()}`;
      return { "svix-id": id, "svix-timestamp": String(t), "svix-signature": new Webhook(secret).sign(id, new Date(t * 1000), body) };
    }
    case "stripe":
      return { "stripe-signature": Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: t }) };
    case "mux":
      return { "mux-signature": `t=${t},v1=${hmacHex(secret, `${t}.${body}`)}` };
    case "nylas":
      return { "x-nylas-signature": hmacHex(secret, body) };
    case "dub":
      return { "dub-signature": hmacHex(secret, body) };
  }
}

export function webhookRequest(provider: Provider, body: string | Uint8Array, headers: Record<string, string>): Request {
  return new Request(`http://localhost:3000/api/webhooks/${provider}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": "198.51.100.23", ...headers },
    body: body as BodyInit,
  });
}

export const signedRequest = (provider: Provider, body: string, options: SignOptions = {}) => webhookRequest(provider, body, signatureHeaders(provider, body, options));

/** A payload of each provider's shape for the object `externalId` (a Clerk org id for Clerk). */
export function eventBody(provider: Provider, externalId: string, over: { id?: string; type?: string; at?: number; state?: string } = {}): { id: string; body: string } {
  const id = over.id ?? `evt_${alnum()}`;
  const at = over.at ?? Date.now();
  switch (provider) {
    case "clerk":
      return {
        id,
        body: JSON.stringify({ object: "event", type: over.type ?? "organization.updated", timestamp: at, data: { id: externalId, name: over.state ?? "Renamed", slug: "x", updated_at: at } }),
      };
    case "stripe":
      return {
        id,
        body: JSON.stringify({
          id,
          object: "event",
          api_version: "2025-01-01",
          type: over.type ?? "customer.updated",
          created: Math.floor(at / 1000),
          data: { object: { id: externalId, object: "customer", delinquent: over.state === "delinquent" } },
        }),
      };
    case "mux":
      return {
        id,
        body: JSON.stringify({
          id,
          type: over.type ?? "video.asset.ready",
          created_at: new Date(at).toISOString(),
          object: { type: "asset", id: externalId },
          data: { id: externalId, status: "ready", playback_ids: [{ id: `pb${externalId}`, policy: "public" }] },
        }),
      };
    case "nylas":
      return {
        id,
        body: JSON.stringify({ specversion: "1.0", type: over.type ?? "grant.expired", source: "/nylas/system", id, time: Math.floor(at / 1000), data: { application_id: "app", object: { grant_id: externalId } } }),
      };
    case "dub":
      return { id, body: JSON.stringify({ id, event: over.type ?? "link.updated", createdAt: new Date(at).toISOString(), data: { id: externalId, archived: over.state === "archived" } }) };
  }
}

/** What the valid default event of each provider sets on its object. */
export const EXPECTED_STATE: Record<Provider, string> = { clerk: "Renamed", stripe: "active", mux: "ready", nylas: "expired", dub: "active" };
/** The state of a provider's linked object before any event (a Mux object is a waiting video). */
export const INITIAL_STATE: Record<Exclude<Provider, "clerk">, string> = { stripe: "unknown", mux: "waiting", nylas: "unknown", dub: "unknown" };

const KIND: Record<Exclude<Provider, "clerk">, string> = { stripe: "customer", mux: "asset", nylas: "grant", dub: "link" };
const EXTERNAL: Record<Exclude<Provider, "clerk">, () => string> = {
  stripe: () => `cus_${alnum()}`,
  mux: () => alnum(),
  nylas: () => `${alnum().slice(0, 8)}-${alnum().slice(0, 4)}`,
  dub: () => `link_${alnum()}`,
};

/** The object an event of `provider` is about, linked to `orgId` in our records (the org itself for Clerk). */
export async function linkedObject(provider: Provider, orgId: string): Promise<string> {
  if (provider === "clerk") return orgId;
  const externalId = EXTERNAL[provider]();
  if (provider === "mux") {
    // A Mux asset is ours through the video it belongs to (public.videos, lib/video): an upload whose asset is linked.
    await linkedVideo(orgId, { assetId: externalId });
    return externalId;
  }
  await (await ownerDb()).query("insert into public.provider_objects (org_id, provider, kind, external_id, status) values ($1, $2, $3, $4, 'unknown')", [
    orgId,
    provider,
    KIND[provider],
    externalId,
  ]);
  return externalId;
}

/** The object's state as our records hold it: the org's name for Clerk, the provider object's status otherwise. */
export async function objectState(provider: Provider, externalId: string): Promise<string | undefined> {
  const db = await ownerDb();
  if (provider === "clerk") return (await db.query<{ name: string }>("select name from public.organizations where id = $1", [externalId]))[0]?.name;
  if (provider === "mux") return (await db.query<{ status: string }>("select status from public.videos where mux_asset_id = $1", [externalId]))[0]?.status;
  return (await db.query<{ status: string }>("select status from public.provider_objects where provider = $1 and external_id = $2", [provider, externalId]))[0]?.status;
}

export async function storedEvents(provider: Provider, eventId: string) {
  return (await ownerDb()).query<{ status: string; attempts: number; last_error: string | null; note: string | null; org_id: string | null }>(
    "select status, attempts, last_error, note, org_id from public.webhook_events where provider = $1 and event_id = $2",
    [provider, eventId],
  );
}

export async function rejectionCount(provider: Provider, reason?: string): Promise<number> {
  const [row] = await (await ownerDb()).query<{ n: string }>(
    "select coalesce(sum(count), 0)::text as n from private.webhook_rejections where provider = $1 and ($2::text is null or reason = $2)",
    [provider, reason ?? null],
  );
  return Number(row!.n);
}

/** A video of a new project of `orgId` whose Mux upload was created (waiting), optionally with its asset linked. */
export async function linkedVideo(orgId: string, options: { assetId?: string; playbackPolicy?: "public" | "signed" } = {}) {
  const db = await ownerDb();
  const [project] = await db.query<{ id: string }>("insert into public.projects (org_id, name, created_by) values ($1, 'Videos', 'user_test') returning id", [orgId]);
  const uploadId = alnum();
  const [video] = await db.query<{ id: string }>(
    `insert into public.videos (org_id, project_id, title, mux_upload_id, mux_asset_id, playback_policy, created_by)
     values ($1, $2, 'Clip', $3, $4, $5, 'user_test') returning id`,
    [orgId, project!.id, uploadId, options.assetId ?? null, options.playbackPolicy ?? "public"],
  );
  return { videoId: video!.id, projectId: project!.id, uploadId };
}
