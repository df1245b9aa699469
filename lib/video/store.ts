import "server-only";
import type { Queryable } from "@/lib/db";

/** BIL-2: a project's videos. RLS limits rows to the caller's org (and a project-scoped key's project). */
export interface VideoRow {
  id: string;
  org_id: string;
  project_id: string;
  title: string;
  mux_upload_id: string;
  mux_asset_id: string | null;
  playback_id: string | null;
  playback_policy: "public" | "signed";
  status: "waiting" | "ready" | "errored";
  error_message: string | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  last_event_at: Date | null;
}

export const VIDEO_COLUMNS =
  "id, org_id, project_id, title, mux_upload_id, mux_asset_id, playback_id, playback_policy, status, error_message, created_by, created_at, updated_at, last_event_at";

/** The newest videos of one project. */
export function listProjectVideos(tx: Queryable, projectId: string, limit = 100): Promise<VideoRow[]> {
  return tx.query<VideoRow>(`select ${VIDEO_COLUMNS} from public.videos where project_id = $1 order by created_at desc, id desc limit $2`, [projectId, limit]);
}

/** Inserts the row of an upload Mux has created; RLS checks the org, the creator and a key's project. */
export async function insertVideo(
  tx: Queryable,
  input: { id: string; orgId: string; projectId: string; title: string; uploadId: string; playbackPolicy: "public" | "signed"; createdBy: string },
): Promise<VideoRow> {
  const [row] = await tx.query<VideoRow>(
    `insert into public.videos (id, org_id, project_id, title, mux_upload_id, playback_policy, created_by)
     values ($1, $2, $3, $4, $5, $6, $7) returning ${VIDEO_COLUMNS}`,
    [input.id, input.orgId, input.projectId, input.title, input.uploadId, input.playbackPolicy, input.createdBy],
  );
  return row!;
}
