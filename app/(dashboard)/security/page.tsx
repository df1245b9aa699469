import type { Metadata } from "next";
import Link from "next/link";
import { definePage } from "@/lib/pages/define-page";
import { hasRole } from "@/lib/actions/pipeline";
import { latestCheckRuns, recentRuns } from "@/lib/security-center/runs";
import { controlRows, statusCounts } from "@/lib/security-center/controls-table";
import { securityCharts } from "@/lib/security-center/charts";
import { ControlsTable, formatUtc, STATUS_LABEL } from "@/components/security/controls-table";
import { RunChecksForm } from "@/components/security/run-checks-form";
import { SecurityChart } from "@/components/security/security-charts";

export const metadata: Metadata = { title: "Security Center" };

/**
 * OPS-3: the Security Center. Owners and admins see every control with its live status in their org, run its checks
 * and read the charts; members are told the page is for admins (they may know it exists), guests get 404 (TEN-7), and nothing is
 * read for them. Every read is in the tenant transaction: row-level security keeps it to the org's own rows.
 */
export default definePage(
  {
    name: "security.center",
    minimumRole: "member",
    read: async ({ session, tx }) => {
      if (!hasRole(session, "admin")) return { kind: "admins_only" as const };
      const latest = await latestCheckRuns(tx);
      return { kind: "admin" as const, rows: controlRows(latest), history: await recentRuns(tx, 10), charts: await securityCharts(tx) };
    },
  },
  function SecurityCenterPage({ data }) {
    if (data.kind === "admins_only") {
      return (
        <div className="flex max-w-2xl flex-col gap-3">
          <h1 className="text-2xl font-semibold">Security Center</h1>
          <p className="text-slate-700" data-testid="admins-only">
            The Security Center is for organisation admins and owners: it runs checks against this organisation&apos;s data and settings. Ask an admin of
            your organisation if you need a control&apos;s status.
          </p>
          <p>
            <Link href="/projects" className="text-indigo-700 underline underline-offset-2">
              Back to your projects
            </Link>
          </p>
        </div>
      );
    }
    const counts = statusCounts(data.rows);
    const { charts } = data;
    return (
      <div className="flex flex-col gap-8">
        <div className="flex flex-col gap-2">
          <h1 className="text-2xl font-semibold">Security Center</h1>
          <p className="text-sm text-slate-600">
            Every control TenantGuard promises, with the live checks that watch it. A check runs against the running system; checks about data run on
            this organisation&apos;s rows only. Results are kept, so everyone in your team sees the same last run.
          </p>
          <p className="text-sm text-slate-800" data-testid="status-summary">
            {(Object.keys(counts) as (keyof typeof counts)[])
              .filter((k) => counts[k] > 0)
              .map((k) => `${STATUS_LABEL[k]}: ${counts[k]}`)
              .join(" · ")}
          </p>
          <div className="flex flex-wrap items-start gap-4">
            <RunChecksForm check="all" label="Run all checks" />
            {/* OPS-3: the signed auditor pack is downloaded from /security/evidence (fresh second factor where required). */}
            <div>
              <Link href="/security/evidence" className="inline-block rounded-md px-3 py-2 text-sm font-medium text-slate-800 ring-1 ring-slate-300 hover:bg-slate-100">
                Export evidence pack
              </Link>
            </div>
          </div>
        </div>

        <section aria-labelledby="charts-heading" className="flex flex-col gap-3">
          <h2 id="charts-heading" className="text-lg font-medium">
            The last {charts.days} days
          </h2>
          <div className="grid grid-cols-1 gap-4 md:grid-cols-2">
            <SecurityChart
              id="chart-audit"
              title="Audit activity"
              description="Entries written to this organisation's audit log per day (UTC)."
              kind="line"
              xKey="day"
              xLabel="Day"
              series={[{ key: "count", label: "Entries", color: "#4f46e5" }]}
              rows={charts.auditActivity.map((d) => ({ ...d }))}
            />
            <SecurityChart
              id="chart-rate-limits"
              title="Rate-limit hits"
              description="API requests of this organisation's keys refused by a rate limit (429) per day."
              kind="bar"
              xKey="day"
              xLabel="Day"
              series={[{ key: "count", label: "Refused requests", color: "#d97706" }]}
              rows={charts.rateLimitHits.map((d) => ({ ...d }))}
            />
            <SecurityChart
              id="chart-webhooks"
              title="Webhook deliveries by outcome"
              description="Verified deliveries linked to this organisation per day: processed, failed or ignored. Deliveries refused for a bad signature cannot be linked to an organisation; the rejected-webhooks check counts them."
              kind="bar"
              stacked
              xKey="day"
              xLabel="Day"
              series={[
                { key: "processed", label: "Processed", color: "#059669" },
                { key: "failed", label: "Failed", color: "#dc2626" },
                { key: "ignored", label: "Ignored", color: "#64748b" },
              ]}
              rows={charts.webhookOutcomes.map((d) => ({ ...d }))}
            />
            <SecurityChart
              id="chart-severity"
              title="Security events by severity"
              description="Security events in this organisation's audit log (cross-tenant probes, rejected keys, rate-limit abuse, ...) by severity."
              kind="bar"
              xKey="severity"
              xLabel="Severity"
              series={[{ key: "count", label: "Events", color: "#be123c" }]}
              rows={charts.eventsBySeverity.map((d) => ({ ...d }))}
            />
          </div>
        </section>

        <section aria-labelledby="controls-heading" className="flex flex-col gap-3">
          <h2 id="controls-heading" className="text-lg font-medium">
            Controls ({data.rows.length})
          </h2>
          <ControlsTable rows={data.rows} />
        </section>

        <section aria-labelledby="history-heading" className="flex flex-col gap-3">
          <h2 id="history-heading" className="text-lg font-medium">
            Recent runs
          </h2>
          {data.history.length === 0 ? (
            <p className="text-sm text-slate-600">No check has run in this organisation yet.</p>
          ) : (
            <ul className="flex flex-col gap-1 text-sm">
              {data.history.map((r) => (
                <li key={r.runId} className="break-words">
                  {formatUtc(r.ranAt)} · {r.ranBy} · {r.checks} check(s){r.failed ? `, ${r.failed} failed` : ""}
                  {r.warned ? `, ${r.warned} with a warning` : ""}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    );
  },
);
