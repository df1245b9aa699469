import type { ControlLiveStatus, ControlRow } from "@/lib/security-center/controls-table";
import { RunChecksForm } from "./run-checks-form";

/** The one date format of these pages: day, month, year and time, in UTC. */
export const formatUtc = (d: Date) => d.toLocaleString("en-GB", { timeZone: "UTC", dateStyle: "medium", timeStyle: "short" }) + " UTC";

export const STATUS_LABEL: Record<ControlLiveStatus, string> = {
  pass: "Pass",
  fail: "Fail",
  warning: "Warning",
  not_applicable: "Not applicable here",
  not_configured: "Not configured",
  not_run: "Not run yet",
};

const STATUS_STYLE: Record<ControlLiveStatus, string> = {
  pass: "bg-emerald-50 text-emerald-800 ring-emerald-300",
  fail: "bg-red-50 text-red-800 ring-red-300",
  warning: "bg-amber-50 text-amber-900 ring-amber-300",
  not_applicable: "bg-slate-50 text-slate-700 ring-slate-300",
  not_configured: "bg-slate-50 text-slate-700 ring-slate-300",
  not_run: "bg-white text-slate-700 ring-slate-300",
};

const CHECK_STATUS_LABEL = { pass: "pass", fail: "fail", warn: "warning", not_applicable: "not applicable here" } as const;

export function StatusBadge({ status }: { status: ControlLiveStatus }) {
  return <span className={`inline-block whitespace-nowrap rounded px-2 py-0.5 text-xs font-medium ring-1 ${STATUS_STYLE[status]}`}>{STATUS_LABEL[status]}</span>;
}

/**
 * OPS-3: the controls registry as a live table. Each row: the control, its live status in this org, the checks that
 * watch it (the one that decided the status first) with their latest result and a "Run now", and its evidence (the
 * tests that prove it and the files that implement it, as repository paths). The scroll box is `relative` so the
 * visually hidden (absolutely positioned) labels inside it scroll with the table instead of widening the page.
 */
export function ControlsTable({ rows }: { rows: ControlRow[] }) {
  return (
    <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="w-full min-w-[40rem] text-left text-sm">
        <caption className="sr-only">Controls and their live status in this organisation</caption>
        <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-700">
          <tr>
            <th scope="col" className="px-3 py-2">
              Control
            </th>
            <th scope="col" className="px-3 py-2">
              Status
            </th>
            <th scope="col" className="px-3 py-2">
              Live checks
            </th>
            <th scope="col" className="px-3 py-2">
              Evidence
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200">
          {rows.map((row) => (
            <tr key={row.id} id={`control-${row.id}`} className="align-top">
              <th scope="row" className="px-3 py-3 font-normal">
                <span className="font-mono text-xs text-slate-600">{row.id}</span>
                <span className="block break-words font-medium text-slate-900">{row.title}</span>
                {row.registryStatus !== "implemented" ? <span className="block text-xs text-slate-600">Registry: {row.registryStatus}</span> : null}
              </th>
              <td className="px-3 py-3">
                <StatusBadge status={row.status} />
                {row.lastRanAt ? <span className="mt-1 block text-xs text-slate-600">Last ran {formatUtc(row.lastRanAt)}</span> : null}
              </td>
              <td className="px-3 py-3">
                {row.checks.length === 0 ? (
                  <span className="text-slate-600">No live check: proven by its tests.</span>
                ) : (
                  <ul className="flex flex-col gap-3">
                    {[...row.checks]
                      .sort((a, b) => Number(b.id === row.decidedBy) - Number(a.id === row.decidedBy))
                      .map((c) => (
                        <li key={c.id} className="flex flex-col gap-1">
                          <span className="break-words">
                            <span className="font-medium">{c.title}</span>{" "}
                            <span className="font-mono text-xs text-slate-600">({c.id})</span>
                            {c.id === row.decidedBy && row.checks.length > 1 ? <span className="text-xs text-slate-600"> · decided the status</span> : null}
                          </span>
                          {c.run ? (
                            <span className="break-words text-xs text-slate-700">
                              <strong className="font-medium">{CHECK_STATUS_LABEL[c.run.status]}</strong> · {formatUtc(c.run.ranAt)} by {c.run.ranBy}: {c.run.detail}
                            </span>
                          ) : (
                            <span className="text-xs text-slate-600">Not run yet in this organisation.</span>
                          )}
                          <RunChecksForm check={c.id} label="Run now" detail={`${c.title} (${row.id})`} />
                        </li>
                      ))}
                  </ul>
                )}
              </td>
              <td className="px-3 py-3">
                <details>
                  <summary className="cursor-pointer text-indigo-700 underline-offset-2 hover:underline">
                    {row.tests.length} test(s), {row.implementation.length} file(s)
                    <span className="sr-only"> for {row.id}</span>
                  </summary>
                  <div className="mt-2 flex flex-col gap-2 text-xs">
                    <div>
                      <p className="font-medium text-slate-800">Tests</p>
                      <ul className="flex flex-col gap-1">
                        {row.tests.map((t) => (
                          <li key={`${t.file}:${t.test}`} className="break-all">
                            <code>{t.file}</code> — “{t.test}”
                          </li>
                        ))}
                      </ul>
                    </div>
                    <div>
                      <p className="font-medium text-slate-800">Implementation</p>
                      <ul className="flex flex-col gap-1">
                        {row.implementation.map((f) => (
                          <li key={f} className="break-all">
                            <code>{f}</code>
                          </li>
                        ))}
                      </ul>
                    </div>
                  </div>
                </details>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
