import { RetryJobForm } from "./retry-job-form";

export interface JobItem {
  id: string;
  kind: string;
  state: "pending" | "running" | "succeeded" | "dead";
  attempts: number;
  maxAttempts: number;
  /** Already masked by the worker: an error's name and first line, never a stack or a payload. */
  lastError: string | null;
  createdAt: string;
  runAt: string;
  finishedAt: string | null;
}

/** One card per job (readable at 390 px): kind, attempts, last error, times; a Retry button for dead ones. */
export function JobList({ jobs, label, empty, retry }: { jobs: JobItem[]; label: string; empty: string; retry: boolean }) {
  if (jobs.length === 0) return <p className="rounded-lg border border-slate-200 bg-white p-4 text-sm text-slate-600">{empty}</p>;
  return (
    <ul className="flex flex-col gap-3" aria-label={label}>
      {jobs.map((j) => (
        <li key={j.id} className="flex flex-col gap-2 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="job-row">
          <div className="flex flex-wrap items-center gap-2">
            <h3 className="flex-1 font-mono text-sm font-medium break-all">{j.kind}</h3>
            <span className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ${j.state === "dead" ? "bg-red-50 text-red-800 ring-red-200" : "bg-amber-50 text-amber-900 ring-amber-200"}`}>
              {j.state === "dead" ? "Dead" : j.state === "running" ? "Retrying now" : "Will retry"}
            </span>
          </div>
          <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-slate-500">Attempts</dt>
            <dd>
              {j.attempts} of {j.maxAttempts}
            </dd>
            <dt className="text-slate-500">Last error</dt>
            <dd className="break-words">{j.lastError ?? "—"}</dd>
            <dt className="text-slate-500">Created</dt>
            <dd>{j.createdAt}</dd>
            <dt className="text-slate-500">{j.state === "dead" ? "Gave up" : "Next attempt"}</dt>
            <dd>{j.state === "dead" ? (j.finishedAt ?? "—") : j.runAt}</dd>
            <dt className="text-slate-500">Job id</dt>
            <dd className="font-mono text-xs break-all">{j.id}</dd>
          </dl>
          {retry && j.state === "dead" ? <RetryJobForm id={j.id} kind={j.kind} /> : null}
        </li>
      ))}
    </ul>
  );
}
