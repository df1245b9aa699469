import "server-only";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { defineAction, type ActionResult } from "@/lib/actions/pipeline";
import type { Session } from "@/lib/auth/claims";
import { env } from "@/lib/env";
import { AppError, NotFoundError, STATUS } from "@/lib/errors";
import type { RequestContext } from "@/lib/http/request-context";
import { requestLogger } from "@/lib/observability/logger";
import { getProject } from "@/lib/projects";
import { projectId } from "@/lib/projects/schemas";
import type { Queryable } from "@/lib/db";
import { muxClient, muxFailure, muxFailureKind } from "./mux";
import { playbackFor, type Playback } from "./playback";
import { createVideoUploadSchema, muxId, muxUploadSchema, videoTitle } from "./schemas";
import { insertVideo, listProjectVideos, type VideoRow } from "./store";
import { assertProjectLevel } from "@/lib/grants/level";

/**
 * BIL-2: Mux videos per project. Uploads go from the browser straight to Mux through a direct-upload URL; status
 * comes from Mux's webhooks (applyMuxEvent); playback is for callers RLS lets read the project, through a token
 * per viewer when signed playback is configured.
 */

export { applyMuxEvent, muxVideoEventSchema, isHandledMuxEvent, type MuxEventResult, type MuxEventOutcome, type MuxVideoEvent } from "./events";
export { PLAYBACK_TOKEN_TTL_SECONDS, type Playback } from "./playback";
export type { VideoRow } from "./store";

/** What the video pages show about this deployment's Mux configuration. */
export function videoConfiguration(): { configured: boolean; signedPlayback: boolean } {
  return { configured: env.muxConfigured, signedPlayback: env.muxSignedPlayback };
}

// Phase 1: the caller may work in this project (TEN-3 role, RLS on the project: another org's is a recorded 404).
const checkProject = defineAction({
  name: "videos.prepare_upload",
  schema: createVideoUploadSchema,
  minimumRole: "guest",
  run: async ({ input, tx }) => {
    await getProject(tx, input.projectId);
    // TEN-7: editors and above add videos; a viewer is refused before anything is created at Mux.
    await assertProjectLevel(tx, input.projectId, "write");
    return input;
  },
});

// Phase 3: only once Mux has created the upload, its row (RLS: own org, own user, a key's project) and its audit entry.
const recordUpload = defineAction({
  name: "videos.upload",
  schema: z.object({ id: z.uuid(), projectId, title: videoTitle, uploadId: muxId, playbackPolicy: z.enum(["public", "signed"]) }),
  minimumRole: "guest",
  run: async ({ input, session, tx, audit }) => {
    // The project may have gone (or the caller's access to it) while Mux created the upload: not found, or 403.
    await assertProjectLevel(tx, input.projectId, "write");
    const video = await insertVideo(tx, { ...input, orgId: session.orgId, createdBy: session.userId }).catch((error: unknown) => {
      // The project was deleted while Mux created the upload: it does not exist (any more).
      if ((error as { code?: unknown }).code === "23503") throw new NotFoundError("project", input.projectId);
      throw error;
    });
    await audit({
      action: "video.upload_created",
      targetType: "video",
      targetId: video.id,
      changes: { title: video.title, project_id: video.project_id, mux_upload_id: video.mux_upload_id, playback_policy: video.playback_policy },
    });
    return video;
  },
});

function refusal(error: AppError): Extract<ActionResult<never>, { ok: false }> {
  return { ok: false, code: error.code, status: STATUS[error.code], message: error.message };
}

/**
 * A direct-upload URL for a new video of a project, for a member of the project's org. Mux is asked first (with our
 * new video's id as passthrough and APP_URL's origin as the upload's CORS origin); the row is stored only after Mux
 * created the upload, so a Mux failure leaves nothing behind and says so.
 */
export async function createVideoUpload(session: Session | null, rawInput: unknown, request: RequestContext): Promise<ActionResult<{ video: VideoRow; uploadUrl: string }>> {
  const checked = await checkProject(session, rawInput, request);
  if (!checked.ok) return checked;
  const mux = muxClient();
  if (!mux) return refusal(new AppError("unavailable", "Video is not configured on this deployment."));

  const id = randomUUID();
  const playbackPolicy = env.muxSignedPlayback ? "signed" : "public";
  const log = requestLogger({ requestId: request.requestId ?? "unknown", orgId: session?.orgId ?? undefined, route: "videos.upload" });
  let upload: z.infer<typeof muxUploadSchema>;
  try {
    const created = await mux.video.uploads.create({
      cors_origin: new URL(env.APP_URL).origin,
      new_asset_settings: { playback_policies: [playbackPolicy], passthrough: id },
    });
    const parsed = muxUploadSchema.safeParse(created);
    if (!parsed.success) throw new AppError("unavailable", "Mux answered with an upload this app cannot use, so nothing was saved. Please try again.");
    upload = parsed.data;
  } catch (error) {
    log.warn({ mux: muxFailureKind(error) }, "mux upload creation failed");
    return refusal(error instanceof AppError ? error : muxFailure(error));
  }

  const recorded = await recordUpload(session, { id, projectId: checked.data.projectId, title: checked.data.title, uploadId: upload.id, playbackPolicy }, request);
  if (!recorded.ok) {
    // Nothing of ours refers to the upload: cancel it at Mux too (best effort; an unused upload URL expires anyway).
    await mux.video.uploads.cancel(upload.id).catch((error: unknown) => log.warn({ mux: muxFailureKind(error) }, "mux upload cancel failed"));
    return recorded;
  }
  return { ok: true, data: { video: recorded.data, uploadUrl: upload.url } };
}

export interface ProjectVideo {
  id: string;
  title: string;
  status: VideoRow["status"];
  errorMessage: string | null;
  createdAt: string;
  playback: Playback | null;
}

/**
 * A project's videos for the viewer, read in the page's tenant transaction: RLS decides what exists (another org's
 * project is not found), and each ready video gets a playback URL signed for this viewer.
 */
export async function readProjectVideos(tx: Queryable, session: Session, projectIdValue: string): Promise<{ project: { id: string; name: string }; videos: ProjectVideo[] }> {
  const project = await getProject(tx, projectIdValue);
  const rows = await listProjectVideos(tx, project.id);
  const mux = muxClient();
  const videos = await Promise.all(
    rows.map(async (row) => ({
      id: row.id,
      title: row.title,
      status: row.status,
      errorMessage: row.error_message,
      createdAt: new Date(row.created_at).toISOString(),
      playback: await playbackFor(mux, row, session.userId, { signingConfigured: env.muxSignedPlayback }),
    })),
  );
  return { project: { id: project.id, name: project.name }, videos };
}
