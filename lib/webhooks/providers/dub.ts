import "server-only";
import { z } from "zod";
import { env } from "@/lib/env";
import { verifyHexHmac } from "../signatures";
import { setProviderObjectStatus } from "./objects";
import type { EventHandler, WebhookAdapter } from "../types";

/** Dub webhooks: `{ id, event, createdAt, data }`, signed with Dub-Signature. */
const envelope = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/),
  event: z.string().regex(/^[a-z][a-z0-9_.]{1,127}$/),
  createdAt: z.iso.datetime({ offset: true }),
});

const linkEvent = <T extends "link.updated" | "link.deleted">(event: T) =>
  z.object({
    event: z.literal(event),
    createdAt: z.iso.datetime({ offset: true }),
    data: z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/), archived: z.boolean().optional() }),
  });

const linkUpdated = linkEvent("link.updated");
const linkDeleted = linkEvent("link.deleted");

/** The Dub short link we created for an org (provider_objects kind `link`): active, archived or deleted. */
const onLinkUpdated: EventHandler<z.infer<typeof linkUpdated>> = {
  schema: linkUpdated,
  target: (e) => ({ kind: "link", externalId: e.data.id }),
  apply: (tx, e, ctx) =>
    setProviderObjectStatus(tx, ctx, { provider: "dub", kind: "link", externalId: e.data.id, version: Date.parse(e.createdAt), status: e.data.archived ? "archived" : "active" }),
};

const onLinkDeleted: EventHandler<z.infer<typeof linkDeleted>> = {
  schema: linkDeleted,
  target: (e) => ({ kind: "link", externalId: e.data.id }),
  apply: (tx, e, ctx) => setProviderObjectStatus(tx, ctx, { provider: "dub", kind: "link", externalId: e.data.id, version: Date.parse(e.createdAt), status: "deleted" }),
};

export const dubAdapter: WebhookAdapter<z.infer<typeof envelope>> = {
  provider: "dub",
  secrets: () => env.DUB_WEBHOOK_SECRET,
  verify: verifyHexHmac("dub-signature"),
  envelope,
  identify: (e) => ({ eventId: e.id, eventType: e.event }),
  handlers: { "link.updated": onLinkUpdated, "link.deleted": onLinkDeleted },
};
