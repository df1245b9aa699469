import "server-only";
import { z } from "zod";
import type { Queryable } from "@/lib/db";
import { ValidationError } from "@/lib/errors";
import { muxId } from "./schemas";

/**
 * BIL-2 / WH-3: the effect of a verified Mux webhook on our videos, for the webhook kernel (lib/webhooks) to run
 * inside its exactly-once transaction, after it has checked the Mux-Signature.
 *
 * - video.upload.asset_created links the asset id to the upload we created;
 * - video.asset.ready sets status ready and the playback id of the policy the upload asked for;
 * - video.asset.errored, video.upload.errored, video.upload.cancelled set status errored with Mux's message.
 *
 * Which video (and so which org) an event belongs to is decided by private.apply_mux_video_event from our own
 * rows: the upload id we stored when Mux created the upload (or the asset id linked since). The payload's
 * passthrough (our video id) is only a cross-check, and no org in a payload is ever read. An event older than the
 * newest one applied to that video changes nothing. Other event types are ignored without a database statement.
 */

const HANDLED = ["video.upload.asset_created", "video.upload.errored", "video.upload.cancelled", "video.asset.ready", "video.asset.errored"] as const;
export type MuxVideoEventType = (typeof HANDLED)[number];

const eventBase = {
  id: z.string().min(1).max(200),
  created_at: z.iso.datetime({ offset: true }),
};
const passthrough = z.string().max(255).optional().nullable();

const uploadData = z.object({
  id: muxId,
  asset_id: muxId.optional().nullable(),
  new_asset_settings: z.object({ passthrough }).passthrough().optional().nullable(),
  error: z.object({ message: z.string().max(2000).optional(), type: z.string().max(200).optional() }).passthrough().optional().nullable(),
});
const assetData = z.object({
  id: muxId,
  upload_id: muxId.optional().nullable(),
  passthrough,
  playback_ids: z.array(z.object({ id: muxId, policy: z.string().max(32) }).passthrough()).max(20).optional().nullable(),
  errors: z.object({ type: z.string().max(200).optional(), messages: z.array(z.string().max(2000)).max(20).optional() }).passthrough().optional().nullable(),
});

/** VAL-1: the events this effect handles, as Mux documents them (what it reads of them; other members are allowed). */
export const muxVideoEventSchema = z.discriminatedUnion("type", [
  z.object({ ...eventBase, type: z.literal("video.upload.asset_created"), data: uploadData.extend({ asset_id: muxId }) }).passthrough(),
  z.object({ ...eventBase, type: z.enum(["video.upload.errored", "video.upload.cancelled"]), data: uploadData }).passthrough(),
  z.object({ ...eventBase, type: z.literal("video.asset.ready"), data: assetData }).passthrough(),
  z.object({ ...eventBase, type: z.literal("video.asset.errored"), data: assetData }).passthrough(),
]);
export type MuxVideoEvent = z.infer<typeof muxVideoEventSchema>;

/**
 * applied: stored; stale: older than what is stored, nothing changed; unknown: no video of ours has that upload or
 * asset id; mismatch: the event contradicts our row (passthrough or asset id), nothing changed; ignored: not a
 * video event this effect handles.
 */
export type MuxEventOutcome = "applied" | "stale" | "unknown" | "mismatch" | "ignored";

export interface MuxEventResult {
  outcome: MuxEventOutcome;
  /** The org and video the event was matched to, from our own row; null when none matched. */
  orgId: string | null;
  videoId: string | null;
}

export function isHandledMuxEvent(type: unknown): type is MuxVideoEventType {
  return typeof type === "string" && (HANDLED as readonly string[]).includes(type);
}

/**
 * Applies a verified Mux event in the caller's transaction. For its one statement the transaction switches to the
 * NOLOGIN role `video_events` (EXECUTE on private.apply_mux_video_event, nothing else) and then back to the role it
 * had, so it runs inside the kernel's transaction whatever principal that uses. `orgId`, when the caller already
 * resolved the event to an org (the kernel's scope), must be the org of the matched video, or nothing changes
 * (outcome mismatch). Throws a ValidationError for a
 * handled type whose payload does not match Mux's documented shape (nothing is changed then).
 */
export async function applyMuxEvent(tx: Queryable, event: unknown, options: { orgId?: string } = {}): Promise<MuxEventResult> {
  const type = (event as { type?: unknown } | null)?.type;
  if (!isHandledMuxEvent(type)) return { outcome: "ignored", orgId: null, videoId: null };
  const parsed = muxVideoEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new ValidationError({ event: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) }, "The Mux event does not have the documented shape.");
  }
  const e = parsed.data;
  const args =
    e.type === "video.asset.ready" || e.type === "video.asset.errored"
      ? {
          uploadId: e.data.upload_id ?? null,
          assetId: e.data.id,
          passthrough: e.data.passthrough ?? null,
          playbackIds: e.data.playback_ids ? JSON.stringify(e.data.playback_ids.map((p) => ({ id: p.id, policy: p.policy }))) : null,
          error: e.data.errors?.messages?.join(" ") || e.data.errors?.type || null,
        }
      : {
          uploadId: e.data.id,
          assetId: e.data.asset_id ?? null,
          passthrough: e.data.new_asset_settings?.passthrough ?? null,
          playbackIds: null,
          error: e.data.error?.message || e.data.error?.type || (e.type === "video.upload.cancelled" ? "The upload was cancelled." : null),
        };

  const [{ role }] = (await tx.query<{ role: string }>("select current_user::text as role")) as [{ role: string }];
  await tx.query("select set_config('role', 'video_events', true)");
  const [row] = await tx.query<{ outcome: MuxEventOutcome; org_id: string | null; video_id: string | null }>(
    "select outcome, org_id, video_id from private.apply_mux_video_event($1, $2::timestamptz, $3, $4, $5, $6::jsonb, $7, $8)",
    [e.type, e.created_at, args.uploadId, args.assetId, args.passthrough, args.playbackIds, args.error, options.orgId ?? null],
  );
  await tx.query("select set_config('role', $1, true)", [role]);
  return { outcome: row!.outcome, orgId: row!.org_id, videoId: row!.video_id };
}
