import { afterAll, describe, expect, it, vi } from "vitest";

await vi.hoisted(async () => {
  const { webhookEnv } = await import("../helpers/webhook-secrets");
  Object.assign(process.env, webhookEnv());
});

import { randomBytes, randomUUID } from "node:crypto";
import { closeDb, ownerDb } from "@/lib/db";
import { POST as muxPost } from "@/app/api/webhooks/mux/route";
import { createOrg } from "../helpers/tenants";
import { linkedVideo, signedRequest, storedEvents } from "../helpers/webhooks";

afterAll(closeDb);

/**
 * BIL-2 / WH-1..3: Mux's video events through the real route (/api/webhooks/mux), each signed as Mux documents it
 * (Mux-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">). The kernel resolves the org from public.videos (the
 * upload or asset id we stored) and lib/video applies the effect, exactly once, never older over newer.
 */

const muxId = () => randomBytes(16).toString("hex");
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

function muxEvent(type: string, createdAt: string, data: Record<string, unknown>, object: { type: string; id: string }) {
  const id = randomUUID();
  return { id, body: JSON.stringify({ type, request_id: null, object, id, environment: { name: "Test", id: "env" }, data, created_at: createdAt, attempts: [], accessor_source: null, accessor: null }) };
}
const assetCreated = (uploadId: string, assetId: string, passthrough: string, at: string) =>
  muxEvent("video.upload.asset_created", at, { id: uploadId, asset_id: assetId, status: "asset_created", new_asset_settings: { playback_policies: ["public"], passthrough } }, { type: "upload", id: uploadId });
const assetReady = (assetId: string, at: string, over: { uploadId?: string; passthrough?: string; playbackId?: string } = {}) =>
  muxEvent(
    "video.asset.ready",
    at,
    { id: assetId, upload_id: over.uploadId, passthrough: over.passthrough, status: "ready", playback_ids: [{ id: over.playbackId ?? muxId(), policy: "public" }], duration: 12.5 },
    { type: "asset", id: assetId },
  );
const assetErrored = (assetId: string, at: string, uploadId?: string) =>
  muxEvent("video.asset.errored", at, { id: assetId, upload_id: uploadId, status: "errored", errors: { type: "invalid_input", messages: ["No video track."] } }, { type: "asset", id: assetId });

async function deliver(e: { id: string; body: string }) {
  const response = await muxPost(signedRequest("mux", e.body));
  return { status: response.status, body: response.status === 200 ? await response.json() : await response.text() };
}

async function video(id: string) {
  const [row] = await (await ownerDb()).query<{ status: string; mux_asset_id: string | null; playback_id: string | null; error_message: string | null; updated_at: Date }>(
    "select status, mux_asset_id, playback_id, error_message, updated_at from public.videos where id = $1",
    [id],
  );
  return row!;
}

describe("BIL-2: Mux events through the webhook route drive the video", () => {
  it("upload created, then asset_created, then ready: the video is ready with its playback id", async () => {
    const org = await createOrg("WhMuxReady");
    const { videoId, uploadId } = await linkedVideo(org.id);
    const assetId = muxId();
    const playbackId = muxId();
    const created = assetCreated(uploadId, assetId, videoId, iso(20_000));
    expect(await deliver(created)).toEqual({ status: 200, body: { status: "processed" } });
    expect(await video(videoId)).toMatchObject({ status: "waiting", mux_asset_id: assetId });
    // Resolved by the asset id linked just now (no upload id in this event).
    const ready = assetReady(assetId, iso(10_000), { passthrough: videoId, playbackId });
    expect(await deliver(ready)).toEqual({ status: 200, body: { status: "processed" } });
    expect(await video(videoId)).toMatchObject({ status: "ready", mux_asset_id: assetId, playback_id: playbackId });
    expect(await storedEvents("mux", ready.id)).toMatchObject([{ status: "processed", org_id: org.id }]);
  });

  it("a duplicate delivery has one effect", async () => {
    const org = await createOrg("WhMuxDup");
    const { videoId, uploadId } = await linkedVideo(org.id);
    const created = assetCreated(uploadId, muxId(), videoId, iso(5_000));
    expect((await deliver(created)).body).toEqual({ status: "processed" });
    const after = await video(videoId);
    expect((await deliver(created)).body).toEqual({ status: "duplicate" });
    expect((await video(videoId)).updated_at).toEqual(after.updated_at);
    expect(await storedEvents("mux", created.id)).toMatchObject([{ status: "processed", attempts: 1 }]);
  });

  it("an older event after a newer one changes nothing", async () => {
    const org = await createOrg("WhMuxOrder");
    const assetId = muxId();
    const { videoId, uploadId } = await linkedVideo(org.id, { assetId });
    const playbackId = muxId();
    expect((await deliver(assetReady(assetId, iso(1_000), { uploadId, playbackId }))).body).toEqual({ status: "processed" });
    const older = assetErrored(assetId, iso(60_000), uploadId);
    expect(await deliver(older)).toEqual({ status: 200, body: { status: "ignored" } });
    expect(await storedEvents("mux", older.id)).toMatchObject([{ status: "ignored", note: "superseded by a newer event" }]);
    expect(await video(videoId)).toMatchObject({ status: "ready", playback_id: playbackId, error_message: null });
  });

  it("an event for an asset that is not ours has no effect", async () => {
    const org = await createOrg("WhMuxForeign");
    const assetId = muxId();
    const { videoId, uploadId } = await linkedVideo(org.id, { assetId });
    // An asset and an upload our records have never seen.
    const unknown = assetReady(muxId(), iso(1_000), { uploadId: muxId(), passthrough: videoId });
    expect(await deliver(unknown)).toEqual({ status: 200, body: { status: "ignored" } });
    expect(await storedEvents("mux", unknown.id)).toMatchObject([{ status: "ignored", note: "no local record of this object", org_id: null }]);
    // An asset event without an upload id, for an asset id no video of ours is linked to.
    const unknownAsset = assetReady(muxId(), iso(900), { passthrough: videoId });
    expect(await deliver(unknownAsset)).toEqual({ status: 200, body: { status: "ignored" } });
    expect(await storedEvents("mux", unknownAsset.id)).toMatchObject([{ status: "ignored", note: "no local record of this object", org_id: null }]);
    // Our upload id, but another asset than the one linked to it.
    const otherAsset = assetReady(muxId(), iso(500), { uploadId, passthrough: videoId });
    expect(await deliver(otherAsset)).toEqual({ status: 200, body: { status: "ignored" } });
    expect(await storedEvents("mux", otherAsset.id)).toMatchObject([{ status: "ignored", note: "the event contradicts our video record" }]);
    // Another org's asset, with our video id as passthrough: resolved to that org, and refused by the cross-check.
    const other = await createOrg("WhMuxOther");
    const theirAsset = muxId();
    const theirs = await linkedVideo(other.id, { assetId: theirAsset });
    expect((await deliver(assetReady(theirAsset, iso(100), { passthrough: videoId }))).body).toEqual({ status: "ignored" });
    expect(await video(videoId)).toMatchObject({ status: "waiting", mux_asset_id: assetId, playback_id: null });
    expect(await video(theirs.videoId)).toMatchObject({ status: "waiting", playback_id: null });
  });

  it("video.asset.created has no effect of its own: the videos own video.asset.*, and it is stored as not handled", async () => {
    const org = await createOrg("WhMuxAssetCreated");
    const assetId = muxId();
    const { videoId } = await linkedVideo(org.id, { assetId });
    const e = muxEvent("video.asset.created", iso(1_000), { id: assetId, status: "preparing" }, { type: "asset", id: assetId });
    expect((await deliver(e)).body).toEqual({ status: "ignored" });
    expect(await storedEvents("mux", e.id)).toMatchObject([{ status: "ignored", note: "event type not handled" }]);
    expect(await video(videoId)).toMatchObject({ status: "waiting" });
  });
});
