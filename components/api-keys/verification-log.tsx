/**
 * KEY-2: the newest verification attempts of one key (times already formatted on the server). A run of identical
 * attempts (same outcome, reason and IP) is one row: "Times" counts them and the time is the latest.
 */
export function VerificationLog({ keyName, entries }: { keyName: string; entries: { at: string; outcome: string; reason: string | null; ip: string | null; repeats: number }[] }) {
  if (entries.length === 0) return <p className="text-sm text-slate-500">Not used yet.</p>;
  return (
    <table className="w-full text-left text-xs">
      <caption className="sr-only">Recent verifications of {keyName}</caption>
      <thead className="text-slate-500">
        <tr>
          <th scope="col" className="py-1 pr-3 font-medium">Time (UTC)</th>
          <th scope="col" className="py-1 pr-3 font-medium">Outcome</th>
          <th scope="col" className="py-1 pr-3 text-right font-medium">Times</th>
          <th scope="col" className="py-1 pr-3 font-medium">Reason</th>
          <th scope="col" className="py-1 font-medium">IP</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e, i) => (
          <tr key={i} className="border-t border-slate-100">
            <td className="py-1 pr-3">{e.at}</td>
            <td className={`py-1 pr-3 ${e.outcome === "success" ? "text-emerald-700" : "text-red-700"}`}>{e.outcome}</td>
            <td className="py-1 pr-3 text-right tabular-nums">{e.repeats.toLocaleString("en")}</td>
            <td className="py-1 pr-3">{e.reason ? e.reason.replaceAll("_", " ") : "—"}</td>
            <td className="py-1 font-mono">{e.ip ?? "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
