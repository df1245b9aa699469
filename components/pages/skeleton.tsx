/** Placeholders while a dashboard page reads: the page's shape in grey, announced once as loading. */
export function PageSkeleton({ rows = 4, stats = false }: { rows?: number; stats?: boolean }) {
  return (
    <div className="flex flex-col gap-6" role="status" aria-live="polite" data-testid="page-loading">
      <span className="sr-only">Loading…</span>
      <div className="h-8 w-48 animate-pulse rounded bg-slate-200" aria-hidden="true" />
      {stats ? (
        <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5" aria-hidden="true">
          {Array.from({ length: 5 }, (_, i) => (
            <div key={i} className="h-20 animate-pulse rounded-lg bg-slate-200" />
          ))}
        </div>
      ) : null}
      <div className="flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-4" aria-hidden="true">
        {Array.from({ length: rows }, (_, i) => (
          <div key={i} className="h-5 animate-pulse rounded bg-slate-200" style={{ width: `${90 - i * 12}%` }} />
        ))}
      </div>
    </div>
  );
}
