import { CONTROLS, LIVE_CHECKS, liveChecksOf, type ControlId, type ControlStatus, type LiveCheckId } from "@/lib/controls";
import type { CheckStatus } from "@/lib/controls/live-checks";

/**
 * OPS-3: what the Security Center shows for each control. A control's live status is the worst of its checks' latest
 * results in this org (fail > warning > pass > not applicable); a control with no live check, or one not built yet,
 * is "not configured" (its evidence is its tests); a control whose checks have not run yet is "not run".
 */
export type ControlLiveStatus = "pass" | "fail" | "warning" | "not_applicable" | "not_configured" | "not_run";

export interface LatestRun {
  status: CheckStatus;
  detail: string;
  ranAt: Date;
  ranBy: string;
}

export interface ControlRow {
  id: ControlId;
  title: string;
  registryStatus: ControlStatus;
  status: ControlLiveStatus;
  /** The checks that watch it, each with its latest run (null: never run in this org). */
  checks: { id: LiveCheckId; title: string; run: LatestRun | null }[];
  /** The check whose result decided the status (the worst one), when any ran. */
  decidedBy: LiveCheckId | null;
  lastRanAt: Date | null;
  tests: { file: string; test: string }[];
  implementation: string[];
}

const RANK: Record<CheckStatus, number> = { fail: 3, warn: 2, pass: 1, not_applicable: 0 };
const LIVE: Record<CheckStatus, ControlLiveStatus> = { fail: "fail", warn: "warning", pass: "pass", not_applicable: "not_applicable" };

export function controlRows(latest: ReadonlyMap<LiveCheckId, LatestRun>): ControlRow[] {
  return CONTROLS.map((control) => {
    const checks = liveChecksOf(control.id).map((id) => ({ id, title: LIVE_CHECKS[id].title, run: latest.get(id) ?? null }));
    let decidedBy: LiveCheckId | null = null;
    let worst: CheckStatus | null = null;
    let lastRanAt: Date | null = null;
    for (const c of checks) {
      if (!c.run) continue;
      if (worst === null || RANK[c.run.status] > RANK[worst]) {
        worst = c.run.status;
        decidedBy = c.id;
      }
      if (!lastRanAt || c.run.ranAt > lastRanAt) lastRanAt = c.run.ranAt;
    }
    let status: ControlLiveStatus;
    if (control.status === "planned" || checks.length === 0) status = "not_configured";
    else if (checks.some((c) => !c.run)) status = worst === "fail" ? "fail" : "not_run"; // a check never run is not a pass
    else status = LIVE[worst!];
    return {
      id: control.id,
      title: control.title,
      registryStatus: control.status,
      status,
      checks,
      decidedBy,
      lastRanAt,
      tests: control.evidence,
      implementation: control.implementation,
    };
  });
}

/** How many controls are in each live status (the page's summary line). */
export function statusCounts(rows: readonly ControlRow[]): Record<ControlLiveStatus, number> {
  const out: Record<ControlLiveStatus, number> = { pass: 0, fail: 0, warning: 0, not_applicable: 0, not_configured: 0, not_run: 0 };
  for (const r of rows) out[r.status]++;
  return out;
}
