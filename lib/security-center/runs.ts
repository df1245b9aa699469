import "server-only";
import type { Queryable } from "@/lib/db";
import { LIVE_CHECKS, type CheckStatus, type LiveCheckId } from "@/lib/controls/live-checks";

/** One stored outcome of a live check in one org (public.control_check_runs, RLS: the org's owners and admins). */
export interface CheckRun {
  checkId: LiveCheckId;
  status: CheckStatus;
  detail: string;
  runId: string;
  durationMs: number;
  /** Who ran it, by display name or email (the user id only when neither is visible). */
  ranBy: string;
  ranAt: Date;
}

export interface CheckRunInput {
  id: LiveCheckId;
  status: CheckStatus;
  detail: string;
  durationMs: number;
}

interface RunRow {
  check_id: string;
  status: CheckStatus;
  detail: string;
  run_id: string;
  duration_ms: number;
  ran_by: string;
  ran_at: Date | string;
}

const isCheckId = (id: string): id is LiveCheckId => Object.hasOwn(LIVE_CHECKS, id);

function runOf(row: RunRow): CheckRun | null {
  if (!isCheckId(row.check_id)) return null; // a check since removed from the registry
  return { checkId: row.check_id, status: row.status, detail: row.detail, runId: row.run_id, durationMs: row.duration_ms, ranBy: row.ran_by, ranAt: new Date(row.ran_at) };
}

/** Stores one run's outcomes, in the caller's tenant transaction (the policy binds org and runner to the claims). */
export async function recordCheckRuns(tx: Queryable, run: { orgId: string; ranBy: string; runId: string; results: readonly CheckRunInput[] }): Promise<void> {
  if (run.results.length === 0) return;
  await tx.query(
    `insert into public.control_check_runs (org_id, check_id, status, detail, run_id, duration_ms, ran_by)
     select $1, r.check_id, r.status, r.detail, $2::uuid, r.duration_ms, $3
       from jsonb_to_recordset($4::jsonb) as r(check_id text, status text, detail text, duration_ms int)`,
    [run.orgId, run.runId, run.ranBy, JSON.stringify(run.results.map((r) => ({ check_id: r.id, status: r.status, detail: r.detail.slice(0, 2000), duration_ms: r.durationMs })))],
  );
}

/** The latest stored outcome of every check in the session's org (RLS decides which org that is). */
export async function latestCheckRuns(tx: Queryable): Promise<Map<LiveCheckId, CheckRun>> {
  const rows = await tx.query<RunRow>(
    `select distinct on (r.check_id) r.check_id, r.status, r.detail, r.run_id::text, r.duration_ms, coalesce(u.display_name, u.email, r.ran_by) as ran_by, r.ran_at
       from public.control_check_runs r left join public.users u on u.id = r.ran_by
      order by r.check_id, r.ran_at desc, r.id desc`,
  );
  const out = new Map<LiveCheckId, CheckRun>();
  for (const row of rows) {
    const run = runOf(row);
    if (run) out.set(run.checkId, run);
  }
  return out;
}

/** The most recent runs (newest first), for the history list. */
export async function recentRuns(tx: Queryable, limit = 20): Promise<{ runId: string; ranAt: Date; ranBy: string; checks: number; failed: number; warned: number }[]> {
  const rows = await tx.query<{ run_id: string; ran_at: Date | string; ran_by: string; checks: number; failed: number; warned: number }>(
    `select r.run_id::text, max(r.ran_at) as ran_at, coalesce(min(u.display_name), min(u.email), min(r.ran_by)) as ran_by, count(*)::int as checks,
            count(*) filter (where r.status = 'fail')::int as failed, count(*) filter (where r.status = 'warn')::int as warned
       from public.control_check_runs r left join public.users u on u.id = r.ran_by
      group by r.run_id order by max(r.ran_at) desc limit $1`,
    [limit],
  );
  return rows.map((r) => ({ runId: r.run_id, ranAt: new Date(r.ran_at), ranBy: r.ran_by, checks: r.checks, failed: r.failed, warned: r.warned }));
}
