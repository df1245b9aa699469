import "server-only";
import { ownerDb, type Queryable } from "@/lib/db";
import { env } from "@/lib/env";
import type { CheckResult } from "@/lib/controls/live-checks";

/** Uploads still waiting after this long never completed, or Mux's webhooks are not reaching us. */
export const STUCK_VIDEO_HOURS = 24;

/**
 * BIL-2 live check: videos still `waiting` more than 24 hours after their upload was created (as the tables' owner,
 * across every org: counts only, no titles). Warns, since an abandoned upload also stays waiting; with Mux not
 * configured there is nothing to check.
 */
export async function checkStuckVideos(db?: Queryable): Promise<CheckResult> {
  const tx = db ?? (await ownerDb());
  const [row] = await tx.query<{ stuck: number; orgs: number; oldest: Date | null }>(
    `select count(*)::int as stuck, count(distinct org_id)::int as orgs, min(created_at) as oldest
       from public.videos where status = 'waiting' and created_at < now() - make_interval(hours => $1)`,
    [STUCK_VIDEO_HOURS],
  );
  const { stuck = 0, orgs = 0, oldest = null } = row ?? {};
  if (stuck > 0) {
    return {
      status: "warn",
      detail: `${stuck} video(s) in ${orgs} organisation(s) still wait for Mux more than ${STUCK_VIDEO_HOURS} h after their upload was created (oldest ${new Date(oldest!).toISOString()}): abandoned uploads, or Mux's webhooks are not reaching /api/webhooks/mux.`,
    };
  }
  if (!env.muxConfigured) return { status: "not_applicable", detail: "Mux is not configured: video is off, and no video waits." };
  return { status: "pass", detail: `No video has waited for Mux more than ${STUCK_VIDEO_HOURS} h.` };
}
