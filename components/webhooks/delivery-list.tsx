import type { WebhookLogEntry } from "@/lib/webhooks/log";
import { ReplayButton } from "./replay-button";
import { formatDateTime } from "@/lib/format/date";

const STATUS_STYLE: Record<WebhookLogEntry["status"], string> = {
  processed: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  ignored: "bg-slate-100 text-slate-700 ring-slate-300",
  received: "bg-amber-50 text-amber-900 ring-amber-200",
  failed: "bg-red-50 text-red-800 ring-red-200",
};

const utc = (d: Date | string | null) => formatDateTime(d);

/** One provider's recent deliveries: status, attempts, error or note, times; Replay for failed ones. No payloads. */
export function DeliveryList({ provider, entries }: { provider: string; entries: WebhookLogEntry[] }) {
  if (entries.length === 0) return <p className="text-sm text-slate-600">No deliveries for this organisation yet.</p>;
  return (
    <ul className="flex flex-col gap-2">
      {entries.map((e) => (
        <li key={e.id} className="flex flex-col gap-2 rounded-md border border-slate-200 p-3" data-testid="webhook-delivery">
          <div className="flex flex-wrap items-center gap-2">
            <code className="flex-1 break-all text-sm">{e.event_type}</code>
            <span className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ${STATUS_STYLE[e.status]}`}>{e.status}</span>
          </div>
          <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-slate-500">Event id</dt>
            <dd className="break-all font-mono text-xs">{e.event_id}</dd>
            <dt className="text-slate-500">Attempts</dt>
            <dd className="tabular-nums">{e.attempts}</dd>
            <dt className="text-slate-500">Received (UTC)</dt>
            <dd>{utc(e.received_at)}</dd>
            <dt className="text-slate-500">Processed (UTC)</dt>
            <dd>{utc(e.processed_at)}</dd>
            {e.last_error ? (
              <>
                <dt className="text-slate-500">Last error</dt>
                <dd className="break-all text-red-800">{e.last_error}</dd>
              </>
            ) : null}
            {e.note ? (
              <>
                <dt className="text-slate-500">Note</dt>
                <dd>{e.note}</dd>
              </>
            ) : null}
          </dl>
          {e.status === "failed" ? <ReplayButton id={e.id} label={`${provider} ${e.event_type} ${e.event_id}`} /> : null}
        </li>
      ))}
    </ul>
  );
}
