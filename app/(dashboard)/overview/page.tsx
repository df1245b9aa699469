import type { Metadata } from "next";
import Link from "next/link";
import { definePage } from "@/lib/pages/define-page";
import { hasRole } from "@/lib/actions/pipeline";
import { readOverview, SECURITY_EVENT_DAYS } from "@/lib/overview";
import { LIMITED_RESOURCES } from "@/lib/billing/plans";
import { SECURITY_EVENTS, isSecurityEvent, type Severity } from "@/lib/audit/events";
import { formatDateTime } from "@/lib/format/date";
import { UsageMeter } from "@/components/billing/usage-meter";
import { ActivityChart } from "@/components/overview/activity-chart";

export const metadata: Metadata = { title: "Overview" };

const SEVERITY_STYLE: Record<Severity, string> = {
  info: "bg-slate-100 text-slate-800",
  low: "bg-slate-100 text-slate-800",
  medium: "bg-amber-50 text-amber-900",
  high: "bg-orange-100 text-orange-900",
  critical: "bg-red-100 text-red-900",
};

function Stat({ label, value, href }: { label: string; value: number; href?: string }) {
  const body = (
    <>
      <dt className="text-sm text-slate-600">{label}</dt>
      <dd className="text-2xl font-semibold tabular-nums text-slate-900">{value.toLocaleString("en-GB")}</dd>
    </>
  );
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid={`stat-${label.toLowerCase().replace(/\s+/g, "-")}`}>
      {href ? (
        <Link href={href} className="flex flex-col-reverse rounded focus:outline-none focus:ring-2 focus:ring-indigo-500">
          <dl className="flex flex-col-reverse">{body}</dl>
        </Link>
      ) : (
        <dl className="flex flex-col-reverse">{body}</dl>
      )}
    </div>
  );
}

/**
 * The org at a glance: what it holds (what RLS lets the caller see: a guest counts only the projects shared with
 * it), and for owners and admins its plan usage, audit activity over 14 days and recent high and critical security
 * events.
 */
export default definePage({ name: "overview", title: "Overview", minimumRole: "guest", read: ({ tx, session }) => readOverview(tx, session) }, function OverviewPage({ data, session }) {
  const { counts, usage, activity, securityEvents } = data;
  const guest = !hasRole(session, "member");
  const admin = hasRole(session, "admin");
  return (
    <div className="flex flex-col gap-6">
      <div>
        <h1 className="text-2xl font-semibold">Overview</h1>
        <p className="text-sm text-slate-600">{guest ? "What is shared with you in this organisation." : "Your organisation at a glance."}</p>
      </div>

      <section aria-labelledby="totals">
        <h2 id="totals" className="sr-only">
          Totals
        </h2>
        <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5">
          <Stat label="Projects" value={counts.projects} href="/projects" />
          <Stat label="Documents" value={counts.documents} />
          <Stat label="Videos" value={counts.videos} />
          {counts.apiKeys !== null ? <Stat label="API keys" value={counts.apiKeys} href={admin ? "/settings/api-keys" : undefined} /> : null}
          {counts.members !== null ? <Stat label="Members" value={counts.members} href="/settings/members" /> : null}
        </div>
        {counts.projects === 0 ? (
          <p className="mt-3 text-sm text-slate-600" data-testid="overview-empty">
            {guest ? (
              "Nothing is shared with you here yet."
            ) : (
              <>
                No projects yet. <Link href="/projects" className="text-indigo-700 underline">Create the first one</Link>.
              </>
            )}
          </p>
        ) : null}
      </section>

      {usage ? (
        <section aria-labelledby="plan-usage" className="flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
          <div className="flex flex-wrap items-baseline justify-between gap-2">
            <h2 id="plan-usage" className="text-lg font-medium">
              Plan usage
            </h2>
            <p className="text-sm text-slate-600">
              {usage.plan.name} plan ·{" "}
              <Link href="/settings/billing" className="text-indigo-700 underline">
                Billing
              </Link>
            </p>
          </div>
          <div className="grid gap-4 sm:grid-cols-2">
            {LIMITED_RESOURCES.map((r) => (
              <UsageMeter key={r} resource={r} used={usage.used[r]} limit={usage.limits[r]} />
            ))}
          </div>
        </section>
      ) : null}

      {activity ? (
        <section aria-labelledby="recent-activity" className="flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
          <div className="flex flex-wrap items-baseline justify-between gap-2">
            <h2 id="recent-activity" className="text-lg font-medium">
              Recent activity
            </h2>
            <Link href="/settings/audit" className="text-sm text-indigo-700 underline">
              Audit log
            </Link>
          </div>
          <ActivityChart days={activity} />
        </section>
      ) : null}

      {securityEvents ? (
        <section aria-labelledby="security-events" className="flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
          <h2 id="security-events" className="text-lg font-medium">
            Security events, last {SECURITY_EVENT_DAYS} days
          </h2>
          <ul className="flex flex-wrap gap-2 text-sm" aria-label="Security events by severity">
            {(["critical", "high", "medium", "low"] as const).map((s) => (
              <li key={s} className={`rounded-full px-3 py-1 ${SEVERITY_STYLE[s]}`} data-testid={`events-${s}`}>
                <span className="capitalize">{s}</span>: <strong className="tabular-nums">{securityEvents.bySeverity[s].toLocaleString("en-GB")}</strong>
              </li>
            ))}
          </ul>
          {securityEvents.recent.length === 0 ? (
            <p className="text-sm text-slate-600" data-testid="no-security-events">
              No high or critical security events in the last {SECURITY_EVENT_DAYS} days.
            </p>
          ) : (
            <ul className="divide-y divide-slate-100 text-sm">
              {securityEvents.recent.map((e) => (
                <li key={e.id} className="flex flex-col gap-1 py-2 sm:flex-row sm:items-baseline sm:gap-3">
                  <span className={`w-fit rounded px-2 py-0.5 text-xs font-medium uppercase ${SEVERITY_STYLE[e.severity]}`}>{e.severity}</span>
                  <span className="min-w-0 flex-1 break-words">{isSecurityEvent(e.action) ? SECURITY_EVENTS[e.action].description : e.action}</span>
                  <time dateTime={e.createdAt} className="text-xs text-slate-600">
                    {formatDateTime(e.createdAt)}
                  </time>
                </li>
              ))}
            </ul>
          )}
        </section>
      ) : null}
    </div>
  );
});
