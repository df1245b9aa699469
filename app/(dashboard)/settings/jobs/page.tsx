import type { Metadata } from "next";
import { definePage } from "@/lib/pages/define-page";
import { jobsOverview } from "@/lib/jobs/manage";
import type { JobRow } from "@/lib/jobs";
import { JobList, type JobItem } from "@/components/jobs/job-list";
import { formatDateTime } from "@/lib/format/date";

export const metadata: Metadata = { title: "Background jobs" };

const utc = (d: Date) => formatDateTime(d);

function item(j: JobRow): JobItem {
  return {
    id: j.id,
    kind: j.kind,
    state: j.state,
    attempts: j.attempts,
    maxAttempts: j.maxAttempts,
    lastError: j.lastError,
    createdAt: utc(j.createdAt),
    runAt: utc(j.runAt),
    finishedAt: j.finishedAt ? utc(j.finishedAt) : null,
  };
}

/**
 * The dead-letter view: owners and admins see their org's jobs that gave up (and those failing and being retried),
 * and re-queue a dead one. Everyone else: this page does not exist (TEN-3, page pipeline). Which jobs are listed is
 * decided by row-level security (the org's own only).
 */
export default definePage({ name: "jobs.list", title: "Jobs", minimumRole: "admin", read: ({ tx }) => jobsOverview(tx) }, function JobsPage({ data }) {
  return (
    <div className="flex flex-col gap-6">
      <div>
        <h1 className="text-2xl font-semibold">Background jobs</h1>
        <p className="text-sm text-slate-600">
          Jobs such as virus scans run in the background and are retried with increasing delays when they fail. A job whose every attempt failed is
          dead: it runs again only if you retry it. Errors are shown in short form, without internal details.
        </p>
      </div>
      <section aria-labelledby="dead-jobs" className="flex flex-col gap-3">
        <h2 id="dead-jobs" className="text-lg font-medium">
          Dead jobs ({data.dead.length})
        </h2>
        <JobList jobs={data.dead.map(item)} label="Dead jobs" empty="No dead jobs." retry />
      </section>
      <section aria-labelledby="retrying-jobs" className="flex flex-col gap-3">
        <h2 id="retrying-jobs" className="text-lg font-medium">
          Failing, will retry ({data.retrying.length})
        </h2>
        <JobList jobs={data.retrying.map(item)} label="Jobs being retried" empty="No job is being retried." retry={false} />
      </section>
    </div>
  );
});
