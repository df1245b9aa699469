import { formatBytes, type LimitedResource } from "@/lib/billing/plans";

const LABELS: Record<LimitedResource, string> = { projects: "Projects", api_keys: "API keys", storage_bytes: "Storage", members: "Members" };

/** One limit's usage as an accessible progress bar: its name, "n of m", and the share as aria-valuenow. */
export function UsageMeter({ resource, used, limit }: { resource: LimitedResource; used: number; limit: number }) {
  const id = `usage-${resource}`;
  const show = (n: number) => (resource === "storage_bytes" ? formatBytes(n) : n.toLocaleString("en-GB"));
  const percent = limit > 0 ? Math.min(100, Math.round((used / limit) * 100)) : 100;
  const text = `${show(used)} of ${show(limit)}`;
  const tone = used >= limit ? "bg-red-600" : percent >= 80 ? "bg-amber-500" : "bg-indigo-600";
  return (
    <div className="flex flex-col gap-1" data-testid={id}>
      <div className="flex flex-wrap items-baseline justify-between gap-2 text-sm">
        <span id={`${id}-label`} className="font-medium text-slate-800">
          {LABELS[resource]}
        </span>
        <span className="text-slate-600">
          {text}
          {used >= limit ? <strong className="ml-2 text-red-700">Limit reached</strong> : null}
        </span>
      </div>
      <div
        role="progressbar"
        aria-labelledby={`${id}-label`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${text} (${percent}%)`}
        className="h-2 w-full overflow-hidden rounded-full bg-slate-200"
      >
        <div className={`h-full ${tone}`} style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}
