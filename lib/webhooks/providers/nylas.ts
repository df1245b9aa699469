import "server-only";
import { z } from "zod";
import { env } from "@/lib/env";
import { verifyHexHmac } from "../signatures";
import { setProviderObjectStatus } from "./objects";
import type { EventHandler, WebhookAdapter } from "../types";

/** Nylas v3 notifications: `{ specversion, type, id, time, data: { object } }`, signed with X-Nylas-Signature. */
const envelope = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.:-]{1,255}$/),
  type: z.string().regex(/^[a-z][a-z0-9_.]{1,127}$/),
  time: z.number().int().positive(),
});

const GRANT_STATUS = { "grant.updated": "valid", "grant.expired": "expired", "grant.deleted": "deleted" } as const;
type GrantEventType = keyof typeof GRANT_STATUS;

const grantEvent = (type: GrantEventType) =>
  z.object({
    type: z.literal(type),
    time: z.number().int().positive(),
    data: z.object({ object: z.object({ grant_id: z.string().regex(/^[A-Za-z0-9-]{1,255}$/) }) }),
  });

/** The Nylas grant connected for an org (provider_objects kind `grant`): valid, expired or deleted; `time` orders them. */
function onGrant(type: GrantEventType): EventHandler<z.infer<ReturnType<typeof grantEvent>>> {
  return {
    schema: grantEvent(type),
    target: (e) => ({ kind: "grant", externalId: e.data.object.grant_id }),
    apply: (tx, e, ctx) =>
      setProviderObjectStatus(tx, ctx, { provider: "nylas", kind: "grant", externalId: e.data.object.grant_id, version: e.time * 1000, status: GRANT_STATUS[type] }),
  };
}

export const nylasAdapter: WebhookAdapter<z.infer<typeof envelope>> = {
  provider: "nylas",
  secrets: () => env.NYLAS_WEBHOOK_SECRET,
  verify: verifyHexHmac("x-nylas-signature"),
  envelope,
  identify: (e) => ({ eventId: e.id, eventType: e.type }),
  handlers: Object.fromEntries((Object.keys(GRANT_STATUS) as GrantEventType[]).map((type) => [type, onGrant(type)])),
};

const CHALLENGE = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * Nylas checks a new webhook URL with `GET ?challenge=...` and expects the value back as the body. Answered only when
 * Nylas is configured, only for a plain token, as text/plain (never reflected markup).
 */
export function nylasChallenge(request: Request): Response {
  const challenge = new URL(request.url).searchParams.get("challenge");
  if (env.NYLAS_WEBHOOK_SECRET.length === 0 || !challenge || !CHALLENGE.test(challenge)) {
    return new Response(null, { status: 404, headers: { "cache-control": "no-store" } });
  }
  return new Response(challenge, { status: 200, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" } });
}
