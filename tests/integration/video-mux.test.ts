import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createElement } from "react";
import { renderToReadableStream, renderToStaticMarkup } from "react-dom/server";
import { nextRequest, startRequest } from "../helpers/next-request";
import { importSPKI, jwtVerify, decodeProtectedHeader } from "jose";

/**
 * BIL-2: Mux video per project, against a local HTTP server standing in for Mux's API (the SDK's baseURL points at
 * it), with a signing key pair this file generates: what the SDK sends, how its failures end (nothing stored), the
 * webhook effect (applyMuxEvent) with payloads shaped as Mux documents them, RLS on videos, and the per-viewer
 * playback tokens, verified with jose against the public key.
 */

vi.mock("next/headers", () => import("../helpers/next-request"));

// --- The Mux stand-in: records every request; answers as `behaviour` says. ---
interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}
type Behaviour = "ok" | 401 | 500 | "hang";
let behaviour: Behaviour = "ok";
/** Runs while the stand-in handles an upload creation, before it answers. */
let duringUpload: (() => Promise<void>) | null = null;
const recorded: Recorded[] = [];
/** The ids of the uploads the stand-in created, in order. */
const createdUploads: string[] = [];
const sockets = new Set<Socket>();
const muxIdOf = () => randomBytes(18).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, 24) || "x";

const standIn = createServer((req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", async () => {
    const body = Buffer.concat(chunks).toString("utf8");
    recorded.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
    const cancel = /^\/video\/v1\/uploads\/([A-Za-z0-9]+)\/cancel$/.exec(req.url ?? "");
    if (cancel && req.method === "PUT") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ data: { id: cancel[1], status: "cancelled", timeout: 3600, cors_origin: "http://localhost:3000" } }));
      return;
    }
    if (duringUpload) await duringUpload();
    if (behaviour === "hang") return; // never answers: the SDK's time limit must end it
    res.setHeader("content-type", "application/json");
    if (behaviour === 401) {
      res.statusCode = 401;
      res.end(JSON.stringify({ error: { type: "unauthorized", messages: ["Unauthorized request"] } }));
      return;
    }
    if (behaviour === 500) {
      res.statusCode = 500;
      res.end(JSON.stringify({ error: { type: "internal", messages: ["Internal error"] } }));
      return;
    }
    const sent = JSON.parse(body) as { cors_origin: string; new_asset_settings: Record<string, unknown> };
    const id = muxIdOf();
    createdUploads.push(id);
    res.statusCode = 201;
    res.end(
      JSON.stringify({
        data: {
          id,
          url: `https://storage.googleapis.com/video-storage-us-east1-uploads/${id}?Expires=1&Signature=test`,
          timeout: 3600,
          status: "waiting",
          cors_origin: sent.cors_origin,
          new_asset_settings: sent.new_asset_settings,
        },
      }),
    );
  });
});
standIn.on("connection", (s: Socket) => {
  sockets.add(s);
  s.on("close", () => sockets.delete(s));
});
await new Promise<void>((resolve) => standIn.listen(0, "127.0.0.1", resolve));
const port = (standIn.address() as AddressInfo).port;

// --- A signing key pair, given to the app the way Mux shows it: base64 of the PEM. ---
const keyPair = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
const SIGNING_KEY_ID = "TestSigningKey01";
process.env.MUX_TOKEN_ID = "test-token-id";
process.env.MUX_TOKEN_SECRET = "test-token-secret";
process.env.MUX_SIGNING_KEY_ID = SIGNING_KEY_ID;
process.env.MUX_SIGNING_PRIVATE_KEY = Buffer.from(keyPair.privateKey).toString("base64");
process.env.MUX_API_URL = `http://127.0.0.1:${port}`;
process.env.MUX_API_TIMEOUT_MS = "700";

const { closeDb, ownerDb, withAnonymous, withTenant } = await import("@/lib/db");
const { tapLogOutput } = await import("@/lib/observability/logger");
const { createProject } = await import("@/lib/projects");
const { createVideoUpload, applyMuxEvent, readProjectVideos, PLAYBACK_TOKEN_TTL_SECONDS } = await import("@/lib/video");
const { playbackFor } = await import("@/lib/video/playback");
const { checkStuckVideos } = await import("@/lib/video/check");
const { VideoList } = await import("@/components/video/video-list");
const { default: VideosPage } = await import("@/app/(dashboard)/projects/[id]/videos/page");
const { SESSION_COOKIE_NAME } = await import("@/lib/auth/cookie-name");
const { AppRouterContext } = await import("next/dist/shared/lib/app-router-context.shared-runtime");
const { createOrg, createUser, request, signIn, orgWithMembers } = await import("../helpers/tenants");
type Session = Awaited<ReturnType<typeof signIn>>["session"];

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => standIn.close(() => resolve()));
  await closeDb();
});

beforeEach(() => {
  behaviour = "ok";
  duringUpload = null;
  createdUploads.length = 0;
  recorded.length = 0;
});

async function projectFor(session: Session, name = "Films") {
  const project = await createProject(session, { name }, request());
  if (!project.ok) throw new Error("setup: project");
  return project.data;
}

async function videoRows(orgId: string) {
  const db = await ownerDb();
  return db.query<{ id: string; status: string; mux_upload_id: string; mux_asset_id: string | null; playback_id: string | null; error_message: string | null; last_event_at: Date | null }>(
    "select id, status, mux_upload_id, mux_asset_id, playback_id, error_message, last_event_at from public.videos where org_id = $1 order by created_at",
    [orgId],
  );
}

async function uploaded(session: Session, projectId: string, title = "Launch film") {
  const result = await createVideoUpload(session, { projectId, title }, request());
  if (!result.ok) throw new Error(`setup: upload (${result.message})`);
  return result.data;
}

// Payloads as Mux documents them (webhook reference: video.upload.asset_created, video.asset.ready, video.asset.errored).
function muxEvent(type: string, createdAt: string, data: Record<string, unknown>, object: { type: string; id: string }) {
  return {
    type,
    object,
    id: crypto.randomUUID(),
    environment: { name: "Production", id: "j0863n" },
    data,
    created_at: createdAt,
    attempts: [],
    accessor_source: null,
    accessor: null,
    request_id: null,
  };
}
const assetCreated = (uploadId: string, assetId: string, passthrough: string, at: string) =>
  muxEvent(
    "video.upload.asset_created",
    at,
    { id: uploadId, asset_id: assetId, status: "asset_created", timeout: 3600, cors_origin: "http://localhost:3000", new_asset_settings: { playback_policies: ["signed"], passthrough } },
    { type: "upload", id: uploadId },
  );
const assetReady = (uploadId: string, assetId: string, passthrough: string, at: string, playbackIds = [{ id: muxIdOf(), policy: "signed" }]) =>
  muxEvent(
    "video.asset.ready",
    at,
    {
      id: assetId,
      upload_id: uploadId,
      passthrough,
      status: "ready",
      playback_ids: playbackIds,
      tracks: [{ type: "video", max_width: 1920, max_height: 1080, id: muxIdOf() }],
      max_stored_resolution: "HD",
      duration: 23.8,
      created_at: "1609869152",
    },
    { type: "asset", id: assetId },
  );
const assetErrored = (uploadId: string, assetId: string, passthrough: string, at: string) =>
  muxEvent(
    "video.asset.errored",
    at,
    { id: assetId, upload_id: uploadId, passthrough, status: "errored", errors: { type: "invalid_input", messages: ["The file does not contain a video track."] } },
    { type: "asset", id: assetId },
  );

/** The webhook kernel's transaction is its own; any transaction of the app serves to run the effect here. */
const applyInTransaction = (event: unknown) => withAnonymous((tx) => applyMuxEvent(tx, event));

describe("direct uploads through the Mux SDK (BIL-2)", () => {
  it("creates a direct upload at Mux (POST /video/v1/uploads, Basic auth, cors_origin, signed policy, our video id as passthrough) and stores it waiting", async () => {
    const a = await orgWithMembers("MuxUpload");
    const project = await projectFor(a.member);
    const { video, uploadUrl } = await uploaded(a.member, project.id);

    expect(recorded).toHaveLength(1);
    const [sent] = recorded;
    expect(sent!.method).toBe("POST");
    expect(sent!.url).toBe("/video/v1/uploads");
    expect(sent!.headers.authorization).toBe(`Basic ${Buffer.from("test-token-id:test-token-secret").toString("base64")}`);
    expect(sent!.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(sent!.body)).toEqual({ cors_origin: "http://localhost:3000", new_asset_settings: { playback_policies: ["signed"], passthrough: video.id } });

    expect(uploadUrl).toMatch(/^https:\/\/storage\.googleapis\.com\//);
    expect(video).toMatchObject({ org_id: a.org.id, project_id: project.id, title: "Launch film", status: "waiting", playback_policy: "signed", created_by: a.member.userId });
    expect(await videoRows(a.org.id)).toEqual([expect.objectContaining({ id: video.id, status: "waiting", mux_upload_id: video.mux_upload_id })]);

    const db = await ownerDb();
    const audit = await db.query("select action, target_type, target_id from public.audit_logs where org_id = $1 and action = 'video.upload_created'", [a.org.id]);
    expect(audit).toEqual([{ action: "video.upload_created", target_type: "video", target_id: video.id }]);
  });

  it.each([
    { behaviour: 401 as const, requests: 1, message: /refused this deployment's API credentials.*nothing was saved/i },
    { behaviour: 500 as const, requests: 2, message: /could not create the upload, so nothing was saved/i },
    { behaviour: "hang" as const, requests: 2, message: /did not answer in time.*nothing was saved/i },
  ])("a Mux failure ($behaviour) is a clear message and stores nothing", async (c) => {
    const a = await orgWithMembers("MuxFailure");
    const project = await projectFor(a.member);
    behaviour = c.behaviour;
    const lines: string[] = [];
    const untap = tapLogOutput((line) => lines.push(line));
    const result = await createVideoUpload(a.member, { projectId: project.id, title: "Will fail" }, request()).finally(untap);
    expect(result).toMatchObject({ ok: false, code: "unavailable", status: 503, message: expect.stringMatching(c.message) });
    // SSRF-2: bounded retries: the first request and one retry for a 5xx or a timeout, none for a refusal.
    expect(recorded).toHaveLength(c.requests);
    expect(await videoRows(a.org.id)).toEqual([]);
    const db = await ownerDb();
    expect(await db.query("select 1 from public.audit_logs where org_id = $1 and action = 'video.upload_created'", [a.org.id])).toEqual([]);
    // ENC-3: the failure is logged by kind, never with the credentials or Mux's answer.
    expect(lines.join("")).toMatch(/mux upload creation failed/);
    expect(lines.join("")).not.toMatch(/test-token-secret|dGVzdC10b2tlbi1pZDp0ZXN0LXRva2VuLXNlY3JldA|Unauthorized request|Internal error/);
  });

  it("a project deleted while Mux creates the upload: not found, no row, and the upload is cancelled at Mux", async () => {
    const a = await orgWithMembers("MuxRace");
    const project = await projectFor(a.member);
    duringUpload = async () => {
      await (await ownerDb()).query("delete from public.projects where id = $1", [project.id]);
    };
    const result = await createVideoUpload(a.member, { projectId: project.id, title: "Orphan" }, request());
    expect(result).toMatchObject({ ok: false, status: 404, message: "That project does not exist." });
    expect(recorded.map((r) => `${r.method} ${r.url}`)).toEqual(["POST /video/v1/uploads", `PUT /video/v1/uploads/${createdUploads.at(-1)}/cancel`]);
    expect(await videoRows(a.org.id)).toEqual([]);
  });

  it("another org's project, a malformed id or an invalid title: refused before Mux is asked", async () => {
    const a = await orgWithMembers("MuxOwner");
    const b = await orgWithMembers("MuxOther");
    const project = await projectFor(a.member);

    expect(await createVideoUpload(b.member, { projectId: project.id, title: "Probe" }, request())).toMatchObject({ ok: false, status: 404 });
    expect(await createVideoUpload(a.member, { projectId: "not-a-uuid", title: "x" }, request())).toMatchObject({ ok: false, status: 422 });
    expect(await createVideoUpload(a.member, { projectId: project.id, title: "   " }, request())).toMatchObject({ ok: false, status: 422, fieldErrors: { title: expect.any(Array) } });
    expect(await createVideoUpload(null, { projectId: project.id, title: "x" }, request())).toMatchObject({ ok: false, status: 401 });
    expect(recorded).toEqual([]);
    expect(await videoRows(a.org.id)).toEqual([]);
    expect(await videoRows(b.org.id)).toEqual([]);
  });
});

describe("webhook-driven status: applyMuxEvent (BIL-2, WH-3)", () => {
  it("asset_created links the asset, ready sets the signed playback id, errored records Mux's message", async () => {
    const a = await orgWithMembers("MuxEvents");
    const project = await projectFor(a.member);
    const { video } = await uploaded(a.member, project.id);
    const assetId = muxIdOf();

    expect(await applyInTransaction(assetCreated(video.mux_upload_id, assetId, video.id, "2026-12-01T10:00:00.000000Z"))).toEqual({ outcome: "applied", orgId: a.org.id, videoId: video.id });
    expect(await videoRows(a.org.id)).toEqual([expect.objectContaining({ status: "waiting", mux_asset_id: assetId, playback_id: null })]);

    const signed = muxIdOf();
    const ready = assetReady(video.mux_upload_id, assetId, video.id, "2026-12-01T10:01:00.000000Z", [
      { id: muxIdOf(), policy: "public" },
      { id: signed, policy: "signed" },
    ]);
    expect(await applyInTransaction(ready)).toMatchObject({ outcome: "applied", orgId: a.org.id });
    expect(await videoRows(a.org.id)).toEqual([expect.objectContaining({ status: "ready", playback_id: signed, error_message: null })]);

    // A second video errors.
    const second = await uploaded(a.member, project.id, "Broken");
    const secondAsset = muxIdOf();
    expect(await applyInTransaction(assetErrored(second.video.mux_upload_id, secondAsset, second.video.id, "2026-12-01T10:02:00Z"))).toMatchObject({ outcome: "applied" });
    expect((await videoRows(a.org.id))[1]).toMatchObject({ status: "errored", mux_asset_id: secondAsset, error_message: "The file does not contain a video track." });

    // In a transaction of another principal (the kernel's), the effect runs as video_events and gives the role back.
    const after = await withTenant(a.member.claims, async (tx) => {
      await applyMuxEvent(tx, assetReady(video.mux_upload_id, assetId, video.id, "2026-12-01T10:01:30Z", [{ id: signed, policy: "signed" }]));
      return tx.query<{ role: string; claims: string }>("select current_user::text as role, current_setting('request.jwt.claims', true) as claims");
    });
    expect(after).toEqual([{ role: "authenticated", claims: expect.stringContaining(a.member.userId) }]);

    // Other Mux events are not ours to apply; they touch nothing.
    expect(await applyInTransaction(muxEvent("video.asset.created", "2026-12-01T10:03:00Z", { id: assetId }, { type: "asset", id: assetId }))).toEqual({ outcome: "ignored", orgId: null, videoId: null });
  });

  it("out of order: an older event never overwrites newer state", async () => {
    const a = await orgWithMembers("MuxOrder");
    const project = await projectFor(a.member);
    const { video } = await uploaded(a.member, project.id);
    const assetId = muxIdOf();
    const playback = muxIdOf();

    // ready (10:05) arrives first, then the older asset_created (10:00) and an older errored (10:01).
    expect(await applyInTransaction(assetReady(video.mux_upload_id, assetId, video.id, "2026-12-01T10:05:00Z", [{ id: playback, policy: "signed" }]))).toMatchObject({ outcome: "applied" });
    expect(await applyInTransaction(assetCreated(video.mux_upload_id, assetId, video.id, "2026-12-01T10:00:00Z"))).toMatchObject({ outcome: "stale" });
    expect(await applyInTransaction(assetErrored(video.mux_upload_id, assetId, video.id, "2026-12-01T10:01:00Z"))).toMatchObject({ outcome: "stale" });
    const [row] = await videoRows(a.org.id);
    expect(row).toMatchObject({ status: "ready", mux_asset_id: assetId, playback_id: playback, error_message: null });
    expect(new Date(row!.last_event_at!).toISOString()).toBe("2026-12-01T10:05:00.000Z");

    // A newer one still applies.
    expect(await applyInTransaction(assetErrored(video.mux_upload_id, assetId, video.id, "2026-12-01T10:06:00Z"))).toMatchObject({ outcome: "applied" });
    expect((await videoRows(a.org.id))[0]).toMatchObject({ status: "errored" });
  });

  it("the video and its org come from our own rows: a payload's passthrough or asset id never picks or moves a video", async () => {
    const a = await orgWithMembers("MuxResolveA");
    const b = await orgWithMembers("MuxResolveB");
    const videoA = (await uploaded(a.member, (await projectFor(a.member)).id)).video;
    const videoB = (await uploaded(b.member, (await projectFor(b.member)).id)).video;

    // An upload id we never created, whose passthrough names a real video of org B: no video is touched.
    const unknown = assetReady(muxIdOf(), muxIdOf(), videoB.id, "2026-12-01T11:00:00Z");
    expect(await applyInTransaction(unknown)).toEqual({ outcome: "unknown", orgId: null, videoId: null });
    // Org A's upload id with org B's video as passthrough: contradicts our row, nothing changes in either org.
    expect(await applyInTransaction(assetReady(videoA.mux_upload_id, muxIdOf(), videoB.id, "2026-12-01T11:01:00Z"))).toMatchObject({ outcome: "mismatch" });
    // An asset event with no upload id is matched by the asset id we linked, and only that.
    const assetA = muxIdOf();
    await applyInTransaction(assetCreated(videoA.mux_upload_id, assetA, videoA.id, "2026-12-01T11:02:00Z"));
    const byAsset = assetReady(muxIdOf(), assetA, videoA.id, "2026-12-01T11:03:00Z");
    delete (byAsset.data as { upload_id?: string }).upload_id;
    expect(await applyInTransaction(byAsset)).toEqual({ outcome: "applied", orgId: a.org.id, videoId: videoA.id });
    // A caller that already resolved the event to an org (the webhook kernel) cannot apply it to another org's video.
    const scoped = assetReady(videoB.mux_upload_id, muxIdOf(), videoB.id, "2026-12-01T11:03:30Z");
    expect(await withAnonymous((tx) => applyMuxEvent(tx, scoped, { orgId: a.org.id }))).toMatchObject({ outcome: "mismatch" });
    // Another asset id for an upload that already has one is a contradiction too.
    expect(await applyInTransaction(assetErrored(videoA.mux_upload_id, muxIdOf(), videoA.id, "2026-12-01T11:04:00Z"))).toMatchObject({ outcome: "mismatch" });

    expect(await videoRows(a.org.id)).toEqual([expect.objectContaining({ status: "ready", mux_asset_id: assetA })]);
    expect(await videoRows(b.org.id)).toEqual([expect.objectContaining({ status: "waiting", mux_asset_id: null, playback_id: null })]);
  });

  it("a handled event without Mux's documented shape is refused and changes nothing", async () => {
    const a = await orgWithMembers("MuxShape");
    const { video } = await uploaded(a.member, (await projectFor(a.member)).id);
    const bad = assetReady(video.mux_upload_id, "not a mux id!", video.id, "2026-12-01T12:00:00Z");
    await expect(applyInTransaction(bad)).rejects.toMatchObject({ code: "invalid_input" });
    await expect(applyInTransaction({ ...assetReady(video.mux_upload_id, muxIdOf(), video.id, "yesterday") })).rejects.toMatchObject({ code: "invalid_input" });
    expect((await videoRows(a.org.id))[0]).toMatchObject({ status: "waiting" });
  });

  it("only video_events may apply events: a signed-in member cannot call the function nor write a video's status", async () => {
    const a = await orgWithMembers("MuxGrants");
    const { video } = await uploaded(a.member, (await projectFor(a.member)).id);
    await expect(
      withTenant(a.owner.claims, (tx) => tx.query("select * from private.apply_mux_video_event('video.asset.ready', now(), $1, null, null, null, null, null)", [video.mux_upload_id])),
    ).rejects.toMatchObject({ code: "42501" });
    await expect(withTenant(a.owner.claims, (tx) => tx.query("update public.videos set status = 'ready' where id = $1", [video.id]))).rejects.toMatchObject({ code: "42501" });
    await expect(
      withTenant(a.member.claims, (tx) =>
        tx.query("insert into public.videos (org_id, project_id, title, mux_upload_id, playback_policy, created_by, status, playback_id) values ($1, $2, 't', 'abc', 'public', $3, 'ready', 'p')", [
          a.org.id,
          video.project_id,
          a.member.userId,
        ]),
      ),
    ).rejects.toMatchObject({ code: "42501" });
    // video_events reads no table itself.
    await expect(withAnonymous(async (tx) => {
      await tx.query("select set_config('role', 'video_events', true)");
      return tx.query("select id from public.videos");
    })).rejects.toMatchObject({ code: "42501" });
    expect((await videoRows(a.org.id))[0]).toMatchObject({ status: "waiting" });
  });
});

describe("playback only for callers RLS lets read the project (BIL-2, TEN-1, TEN-4)", () => {
  async function readyVideo(name: string) {
    const a = await orgWithMembers(name);
    const project = await projectFor(a.member);
    const { video } = await uploaded(a.member, project.id, "Ready film");
    const playbackId = muxIdOf();
    await applyInTransaction(assetReady(video.mux_upload_id, muxIdOf(), video.id, "2026-12-01T13:00:00Z", [{ id: playbackId, policy: "signed" }]));
    return { a, project, video, playbackId };
  }

  it("another org's member sees no video: RLS hides the rows, and the videos page is not found", async () => {
    const { a, project, video } = await readyVideo("MuxReadA");
    const b = await orgWithMembers("MuxReadB");
    expect(await withTenant(b.owner.claims, (tx) => tx.query("select id from public.videos where id = $1", [video.id]))).toEqual([]);
    expect(await withTenant(b.owner.claims, (tx) => tx.query("select id from public.videos"))).toEqual([]);
    expect(await VideosPage.readFor(b.owner, { id: project.id }, request())).toEqual({ kind: "not_found" });
    expect(await withTenant(a.member.claims, (tx) => tx.query("select id from public.videos where id = $1", [video.id]))).toEqual([{ id: video.id }]);
  });

  it("a member gets a signed HLS URL with a token of its own: RS256, kid, aud v, sub the playback id, exp in at most 10 minutes, viewer_id (jose)", async () => {
    const { a, project, playbackId } = await readyVideo("MuxToken");
    const page = await VideosPage.readFor(a.member, { id: project.id }, request());
    if (page.kind !== "ok") throw new Error(`page: ${page.kind}`);
    expect(page.data.config).toEqual({ configured: true, signedPlayback: true });
    const [item] = page.data.videos;
    expect(item).toMatchObject({ title: "Ready film", status: "ready" });
    const url = new URL(item!.playback!.url);
    expect(`${url.origin}${url.pathname}`).toBe(`https://stream.mux.com/${playbackId}.m3u8`);
    const token = url.searchParams.get("token")!;

    const publicKey = await importSPKI(keyPair.publicKey, "RS256");
    const before = Math.floor(Date.now() / 1000);
    const { payload } = await jwtVerify(token, publicKey, { algorithms: ["RS256"], audience: "v", subject: playbackId, requiredClaims: ["exp"] });
    expect(decodeProtectedHeader(token).alg).toBe("RS256");
    expect(payload.kid).toBe(SIGNING_KEY_ID);
    expect(payload.viewer_id).toBe(a.member.userId);
    expect(payload.exp! - before).toBeLessThanOrEqual(PLAYBACK_TOKEN_TTL_SECONDS + 1);
    expect(payload.exp! - before).toBeGreaterThan(PLAYBACK_TOKEN_TTL_SECONDS - 30);
    expect(PLAYBACK_TOKEN_TTL_SECONDS).toBeLessThanOrEqual(3600);

    // Another viewer of the same video gets another token, naming them.
    const other = await VideosPage.readFor(a.owner, { id: project.id }, request());
    if (other.kind !== "ok") throw new Error("page");
    const otherToken = new URL(other.data.videos[0]!.playback!.url).searchParams.get("token")!;
    expect((await jwtVerify(otherToken, publicKey, { algorithms: ["RS256"] })).payload.viewer_id).toBe(a.owner.userId);

    // A key the test did not hold does not verify it.
    const stranger = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
    await expect(jwtVerify(token, await importSPKI(stranger.publicKey, "RS256"), { algorithms: ["RS256"] })).rejects.toThrow();

    // The page's list renders a <video> element with that URL.
    const html = renderToStaticMarkup(createElement(VideoList, { videos: page.data.videos }));
    expect(html).toContain("<video");
    expect(html).toContain(`src="https://stream.mux.com/${playbackId}.m3u8?token=`);
  });

  it("the page itself, for a signed-in member: the upload form and a player for the ready video", async () => {
    const { a, project, playbackId } = await readyVideo("MuxPage");
    const { token } = await signIn(a.member.userId, { ...a.org, role: "member" });
    startRequest({ cookie: `${SESSION_COOKIE_NAME}=${token}` });
    nextRequest.cookies.set(SESSION_COOKIE_NAME, { value: token, options: {} });
    // Next.js's router context, which the client upload form reads (useRouter), as the App Router provides it.
    const router = { back() {}, forward() {}, refresh() {}, push() {}, replace() {}, prefetch() {} };
    const stream = await renderToReadableStream(createElement(AppRouterContext.Provider, { value: router as never }, await VideosPage({ params: Promise.resolve({ id: project.id }) })));
    await stream.allReady;
    const page = await new Response(stream).text();
    expect(page).toContain('aria-label="Upload a video"');
    expect(page).toContain('type="file"');
    expect(page).not.toContain("video-not-configured");
    expect(page).toContain(`https://stream.mux.com/${playbackId}.m3u8?token=`);
  });

  it("a token lives at most an hour whatever is asked; waiting videos and signed ids without a key get no URL; public ids no token", async () => {
    const { default: Mux } = await import("@mux/mux-node");
    const mux = new Mux({ tokenId: "t", tokenSecret: "s", jwtSigningKey: SIGNING_KEY_ID, jwtPrivateKey: Buffer.from(keyPair.privateKey).toString("base64"), baseURL: `http://127.0.0.1:${port}` });
    const long = await playbackFor(mux, { status: "ready", playback_id: "abc", playback_policy: "signed" }, "user_x", { signingConfigured: true, ttlSeconds: 7 * 86_400 });
    const { payload } = await jwtVerify(new URL(long!.url).searchParams.get("token")!, await importSPKI(keyPair.publicKey, "RS256"), { algorithms: ["RS256"] });
    expect(payload.exp! - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(3601);

    expect(await playbackFor(mux, { status: "waiting", playback_id: null, playback_policy: "signed" }, "user_x", { signingConfigured: true })).toBeNull();
    expect(await playbackFor(mux, { status: "ready", playback_id: "abc", playback_policy: "signed" }, "user_x", { signingConfigured: false })).toBeNull();
    expect(await playbackFor(null, { status: "ready", playback_id: "abc", playback_policy: "public" }, "user_x", { signingConfigured: false })).toEqual({ url: "https://stream.mux.com/abc.m3u8", expiresAt: null });
  });

  it("readProjectVideos in a tenant transaction: only the project's own videos, newest first", async () => {
    const a = await orgWithMembers("MuxList");
    const one = await projectFor(a.member, "One");
    const two = await projectFor(a.member, "Two");
    await uploaded(a.member, one.id, "First");
    await uploaded(a.member, one.id, "Second");
    await uploaded(a.member, two.id, "Elsewhere");
    const listed = await withTenant(a.member.claims, (tx) => readProjectVideos(tx, a.member, one.id));
    expect(listed.videos.map((v) => v.title)).toEqual(["Second", "First"]);
  });
});

describe("live check: videos waiting for Mux (BIL-2)", () => {
  it("warns about a video still waiting a day after its upload was created", async () => {
    const org = await createOrg("MuxStuck");
    const user = await createUser([{ orgId: org.id, role: "member" }]);
    const { session } = await signIn(user, { ...org, role: "member" });
    const { video } = await uploaded(session, (await projectFor(session)).id);
    const db = await ownerDb();
    await db.transaction(async (tx) => {
      await tx.query("update public.videos set created_at = now() - interval '25 hours' where id = $1", [video.id]);
      expect(await checkStuckVideos(tx)).toMatchObject({ status: "warn", detail: expect.stringMatching(/still wait for Mux more than 24 h/) });
      await tx.query("update public.videos set status = 'errored' where id = $1", [video.id]);
      expect(await checkStuckVideos(tx)).toMatchObject({ status: "pass" });
    });
  });
});
