import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { getSession } from "@/lib/auth/current";
import { currentRequestContext, type RequestContext } from "@/lib/http/request-context";
import type { Session } from "@/lib/auth/claims";
import { readForPage } from "@/lib/pages/read";
import { formatDateTime } from "@/lib/format/date";
import { SEVERITIES, type Severity } from "@/lib/audit/events";
import { AUDIT_LOG_PAGE, type AuditLogEntry, type AuditLogFilter } from "@/lib/audit/log";
import { ChangesDiff } from "@/components/audit/changes-diff";
import { RetentionForm, SignCheckpointForm, VerifyChainForm } from "@/components/audit/audit-forms";
import { AdminsOnly, NoOrganisation, ServiceUnavailable } from "@/components/pages/page-notices";

export const metadata: Metadata = { title: "Audit log" };

const SEVERITY_STYLE: Record<Severity, string> = {
  info: "bg-slate-100 text-slate-800 ring-slate-300",
  low: "bg-sky-50 text-sky-900 ring-sky-200",
  medium: "bg-amber-50 text-amber-900 ring-amber-200",
  high: "bg-red-50 text-red-800 ring-red-200",
  critical: "bg-red-700 text-white ring-red-800",
};

function query(filter: AuditLogFilter, more: Record<string, string | number | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filter, before: undefined, ...more })) if (v !== undefined && v !== "") params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : "";
}

function age(iso: string): string {
  const minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60_000));
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 2880) return `${Math.round(minutes / 60)} h ago`;
  return `${Math.round(minutes / 1440)} days ago`;
}

function Entry({ e }: { e: AuditLogEntry }) {
  return (
    <li className="rounded-lg border border-slate-200 bg-white shadow-sm" data-testid="audit-entry">
      <details>
        <summary className="flex cursor-pointer flex-wrap items-center gap-2 p-3 text-sm">
          <span className="font-mono text-xs text-slate-600">#{e.seq}</span>
          <span className="flex-1 font-mono font-medium break-all">{e.action}</span>
          <span className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ${SEVERITY_STYLE[e.severity]}`}>{e.severity}</span>
          <time dateTime={e.createdAt} className="w-full text-xs text-slate-600 sm:w-auto">
            {formatDateTime(e.createdAt)}
          </time>
        </summary>
        <div className="flex flex-col gap-3 border-t border-slate-200 p-3">
          <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-slate-600">Actor</dt>
            <dd className="break-all">
              {e.actorType}
              {e.actorId ? ` ${e.actorId}` : ""}
            </dd>
            <dt className="text-slate-600">Target</dt>
            <dd className="break-all">{e.targetType ? `${e.targetType} ${e.targetId ?? ""}` : "—"}</dd>
            <dt className="text-slate-600">Address</dt>
            <dd className="break-all">{e.ip ?? "—"}</dd>
            <dt className="text-slate-600">User agent</dt>
            <dd className="break-all">{e.userAgent ?? "—"}</dd>
            <dt className="text-slate-600">Request id</dt>
            <dd className="font-mono text-xs break-all">{e.requestId ?? "—"}</dd>
            <dt className="text-slate-600">Hash</dt>
            <dd className="font-mono text-xs break-all">{e.hash}</dd>
          </dl>
          <section aria-label={`Changes of entry ${e.seq}`}>
            <h3 className="mb-1 text-sm font-medium">Changes</h3>
            <ChangesDiff changes={e.changes} />
          </section>
        </div>
      </details>
    </li>
  );
}

/**
 * AUD-1..5: the org's audit log for owners and admins (404 for members and guests): filters, keyset pages, entry
 * details with changes as a diff, CSV and JSON exports of the filtered range with the signed checkpoint, "Verify
 * chain", the latest checkpoint's age, recent high and critical security events, and retention with legal hold.
 */
async function AuditLogPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const raw = Object.fromEntries(Object.entries(await searchParams).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const outcome = await readForPage(await getSession(), AUDIT_LOG_PAGE, raw, await currentRequestContext());
  if (outcome.kind === "sign_in") redirect("/sign-in");
  if (outcome.kind === "not_found") notFound();
  if (outcome.kind === "no_organisation") return <NoOrganisation />;
  if (outcome.kind === "admins_only") return <AdminsOnly title={outcome.title} minimumRole={outcome.minimumRole} ask={outcome.ask} />;
  if (outcome.kind === "unavailable") return <ServiceUnavailable />;
  const filter = outcome.params;
  const { log, overview } = outcome.data;
  const checkpoint = overview.latestCheckpoint;
  return (
    <div className="flex flex-col gap-6">
      <div>
        <h1 className="text-2xl font-semibold">Audit log</h1>
        <p className="text-sm text-slate-600">
          Every change in this organisation and every security event, hash-chained in order and signed at intervals with a key the database never holds. Newest
          first.
        </p>
      </div>

      <section aria-labelledby="audit-integrity" className="flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
        <h2 id="audit-integrity" className="text-lg font-medium">
          Integrity
        </h2>
        <p className="text-sm text-slate-700" data-testid="checkpoint-age">
          {checkpoint ? (
            <>
              Latest signed checkpoint: entry {checkpoint.seq}, {age(checkpoint.signed_at)} (key {checkpoint.key_id}). Public key:{" "}
              <a className="text-indigo-700 underline" href="/.well-known/tenantguard-audit-key">
                /.well-known/tenantguard-audit-key
              </a>
            </>
          ) : (
            "No signed checkpoint yet: one is signed at the next interval, or now."
          )}
        </p>
        <div className="flex flex-wrap gap-4">
          <VerifyChainForm />
          <SignCheckpointForm />
        </div>
      </section>

      {overview.alerts.length > 0 ? (
        <section aria-labelledby="audit-alerts" className="flex flex-col gap-2 rounded-lg border border-red-200 bg-red-50 p-4">
          <h2 id="audit-alerts" className="text-lg font-medium text-red-900">
            High and critical security events (7 days)
          </h2>
          <ul className="flex flex-col gap-1 text-sm text-red-900">
            {overview.alerts.map((a) => (
              <li key={a.seq}>
                <span className="font-mono">{a.action}</span> ({a.severity}) at {formatDateTime(a.createdAt)}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <form method="get" className="grid grid-cols-1 gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-3" aria-label="Filter the audit log">
        {(
          [
            ["actor", "Actor (user id or actor type)", filter.actor],
            ["action", "Action (or family, e.g. member)", filter.action],
            ["target", "Target (id or type)", filter.target],
          ] as const
        ).map(([name, label, value]) => (
          <div key={name} className="flex flex-col gap-1">
            <label htmlFor={`f-${name}`} className="text-sm font-medium text-slate-800">
              {label}
            </label>
            <input id={`f-${name}`} name={name} defaultValue={value ?? ""} maxLength={200} className="rounded-md border border-slate-300 px-3 py-2 text-sm" />
          </div>
        ))}
        <div className="flex flex-col gap-1">
          <label htmlFor="f-severity" className="text-sm font-medium text-slate-800">
            Severity
          </label>
          <select id="f-severity" name="severity" defaultValue={filter.severity ?? ""} className="rounded-md border border-slate-300 px-3 py-2 text-sm">
            <option value="">Any</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="f-from" className="text-sm font-medium text-slate-800">
            From (UTC date)
          </label>
          <input id="f-from" name="from" type="date" defaultValue={filter.from ?? ""} className="rounded-md border border-slate-300 px-3 py-2 text-sm" />
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="f-to" className="text-sm font-medium text-slate-800">
            To (UTC date)
          </label>
          <input id="f-to" name="to" type="date" defaultValue={filter.to ?? ""} className="rounded-md border border-slate-300 px-3 py-2 text-sm" />
        </div>
        <div className="flex flex-wrap items-center gap-3 sm:col-span-3">
          <button type="submit" className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-700">
            Apply filters
          </button>
          <Link href="/settings/audit" className="text-sm text-indigo-700 underline">
            Clear
          </Link>
          <a href={`/settings/audit/export${query(filter, { format: "csv" })}`} className="text-sm text-indigo-700 underline">
            Export CSV
          </a>
          <a href={`/settings/audit/export${query(filter, { format: "json" })}`} className="text-sm text-indigo-700 underline">
            Export JSON (verifiable offline)
          </a>
        </div>
      </form>

      <section aria-labelledby="audit-entries" className="flex flex-col gap-3">
        <h2 id="audit-entries" className="text-lg font-medium">
          Entries
        </h2>
        {log.entries.length === 0 ? (
          <p className="rounded-lg border border-slate-200 bg-white p-4 text-sm text-slate-600">No entries match these filters.</p>
        ) : (
          <ul className="flex flex-col gap-2" aria-label="Audit entries">
            {log.entries.map((e) => (
              <Entry key={e.seq} e={e} />
            ))}
          </ul>
        )}
        {log.next ? (
          <Link href={`/settings/audit${query(filter, { before: log.next })}`} className="self-start text-sm text-indigo-700 underline">
            Older entries
          </Link>
        ) : null}
      </section>

      <section aria-labelledby="audit-retention" className="flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
        <h2 id="audit-retention" className="text-lg font-medium">
          Retention
        </h2>
        <p className="text-sm text-slate-600">
          Entries older than this are removed once a day, after a signed checkpoint at the cut so that the rest of the chain still verifies.
        </p>
        <RetentionForm retentionDays={overview.settings.retentionDays} legalHold={overview.settings.legalHold} />
      </section>
    </div>
  );
}

/** The page's own read, outside Next.js's request scope (as definePage pages expose it): what the integration tests call. */
export default Object.assign(AuditLogPage, {
  readFor: (session: Session | null, rawParams: unknown, request: RequestContext) => readForPage(session, AUDIT_LOG_PAGE, rawParams ?? {}, request),
});
