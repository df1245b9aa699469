/** An entry's changes as a diff: `{ from, to }` pairs as removed / added lines, other values as they are. */
export function ChangesDiff({ changes }: { changes: Record<string, unknown> }) {
  const keys = Object.keys(changes);
  if (keys.length === 0) return <p className="text-sm text-slate-600">No field changes recorded.</p>;
  const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  return (
    <dl className="flex flex-col gap-1 font-mono text-xs">
      {keys.map((key) => {
        const value = changes[key];
        const pair = value && typeof value === "object" && !Array.isArray(value) && ("from" in value || "to" in value) ? (value as { from?: unknown; to?: unknown }) : null;
        return (
          <div key={key} className="flex flex-col">
            <dt className="font-semibold text-slate-800">{key}</dt>
            {pair ? (
              <dd className="flex flex-col">
                <del className="break-all bg-red-50 px-1 text-red-800" aria-label={`${key} before`}>
                  − {show(pair.from ?? null)}
                </del>
                <ins className="break-all bg-emerald-50 px-1 text-emerald-800 no-underline" aria-label={`${key} after`}>
                  + {show(pair.to ?? null)}
                </ins>
              </dd>
            ) : (
              <dd className="break-all px-1 text-slate-700">{show(value)}</dd>
            )}
          </div>
        );
      })}
    </dl>
  );
}
