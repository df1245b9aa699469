import "server-only";
import { z } from "zod";
import { env } from "@/lib/env";
import { applyMuxEvent, muxVideoEventSchema, type MuxEventOutcome, type MuxVideoEvent, type MuxVideoEventType } from "@/lib/video/events";
import { verifyMux } from "../signatures";
import type { EventHandler, WebhookAdapter } from "../types";

const envelope = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/),
  type: z.string().regex(/^[a-z][a-z0-9_.]{1,127}$/),
  created_at: z.iso.datetime({ offset: true }),
});

/**
 * BIL-2: Mux's events are the videos' (lib/video/events.ts owns their effect, video.asset.* included). The kernel
 * resolves the org from public.videos (private.webhook_resolve_org): an upload event by the upload id we stored when
 * Mux created the upload, an asset event by its upload id when it carries one, otherwise by the asset id linked since.
 * applyMuxEvent then matches the same row again, with the resolved org as a cross-check (and the passthrough, our
 * video id), and applies nothing older than the newest event applied to that video (WH-3).
 */
const HANDLED: readonly MuxVideoEventType[] = ["video.upload.asset_created", "video.upload.errored", "video.upload.cancelled", "video.asset.ready", "video.asset.errored"];

const NOTE: Record<Exclude<MuxEventOutcome, "applied">, string> = {
  stale: "superseded by a newer event",
  unknown: "no video of ours has this upload or asset",
  mismatch: "the event contradicts our video record",
  ignored: "event type not handled",
};

function target(e: MuxVideoEvent): { kind: string; externalId: string } {
  if (e.type === "video.asset.ready" || e.type === "video.asset.errored") {
    return e.data.upload_id ? { kind: "upload", externalId: e.data.upload_id } : { kind: "asset", externalId: e.data.id };
  }
  return { kind: "upload", externalId: e.data.id };
}

const onVideoEvent: EventHandler<MuxVideoEvent> = {
  schema: muxVideoEventSchema,
  target,
  async apply(tx, e, ctx) {
    const result = await applyMuxEvent(tx, e, { orgId: ctx.orgId });
    if (result.outcome === "applied") return { applied: true };
    return { applied: false, note: NOTE[result.outcome] };
  },
};

export const muxAdapter: WebhookAdapter<z.infer<typeof envelope>> = {
  provider: "mux",
  secrets: () => env.MUX_WEBHOOK_SECRET,
  verify: verifyMux,
  envelope,
  identify: (e) => ({ eventId: e.id, eventType: e.type }),
  handlers: Object.fromEntries(HANDLED.map((type) => [type, onVideoEvent])),
};
