import "server-only";
import { z } from "zod";
import { env } from "@/lib/env";
import { verifyMux } from "../signatures";
import { setProviderObjectStatus } from "./objects";
import type { EventHandler, WebhookAdapter } from "../types";

const envelope = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/),
  type: z.string().regex(/^[a-z][a-z0-9_.]{1,127}$/),
  created_at: z.iso.datetime({ offset: true }),
});

const ASSET_STATUS = { "video.asset.created": null, "video.asset.ready": "ready", "video.asset.errored": "errored", "video.asset.deleted": "deleted" } as const;
type AssetEventType = keyof typeof ASSET_STATUS;

const assetEvent = (type: AssetEventType) =>
  z.object({
    type: z.literal(type),
    created_at: z.iso.datetime({ offset: true }),
    data: z.object({ id: z.string().regex(/^[A-Za-z0-9]{1,255}$/), status: z.enum(["preparing", "ready", "errored"]).optional() }),
  });

/**
 * The Mux asset we created for an org's project (provider_objects kind `asset`) follows its events: preparing,
 * ready, errored, deleted. The event's `created_at` orders them (WH-3).
 */
function onAsset(type: AssetEventType): EventHandler<z.infer<ReturnType<typeof assetEvent>>> {
  return {
    schema: assetEvent(type),
    target: (e) => ({ kind: "asset", externalId: e.data.id }),
    apply: (tx, e, ctx) =>
      setProviderObjectStatus(tx, ctx, {
        provider: "mux",
        kind: "asset",
        externalId: e.data.id,
        version: Date.parse(e.created_at),
        status: ASSET_STATUS[type] ?? e.data.status ?? "preparing",
      }),
  };
}

export const muxAdapter: WebhookAdapter<z.infer<typeof envelope>> = {
  provider: "mux",
  secrets: () => env.MUX_WEBHOOK_SECRET,
  verify: verifyMux,
  envelope,
  identify: (e) => ({ eventId: e.id, eventType: e.type }),
  handlers: Object.fromEntries((Object.keys(ASSET_STATUS) as AssetEventType[]).map((type) => [type, onAsset(type)])),
};
