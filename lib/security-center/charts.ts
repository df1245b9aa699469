import "server-only";
import type { Queryable } from "@/lib/db";
import { SECURITY_EVENTS, SEVERITIES, type Severity } from "@/lib/audit/events";

/**
 * The Security Center's charts: each a small aggregate read in the session's tenant transaction, so row-level
 * security limits it to the org's own rows (audit log, key verifications and webhook events are readable by the
 * org's owners and admins only). Days are UTC calendar days; a day without rows is a zero, not a gap.
 */
export const CHART_DAYS = 30;

export interface DayCount {
  day: string;
  count: number;
}

export interface WebhookDay {
  day: string;
  processed: number;
  failed: number;
  ignored: number;
}

export interface SeverityCount {
  severity: Severity;
  count: number;
}

export interface SecurityCharts {
  days: number;
  auditActivity: DayCount[];
  rateLimitHits: DayCount[];
  webhookOutcomes: WebhookDay[];
  eventsBySeverity: SeverityCount[];
}

const DAYS_SQL = `select to_char(d, 'YYYY-MM-DD') as day
                    from generate_series((now() at time zone 'UTC')::date - ($1::int - 1), (now() at time zone 'UTC')::date, interval '1 day') d`;

export async function securityCharts(tx: Queryable, days = CHART_DAYS): Promise<SecurityCharts> {
  const since = `(now() at time zone 'UTC')::date - ($1::int - 1)`;
  const audit = await tx.query<DayCount>(
    `with days as (${DAYS_SQL}),
          counts as (select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day, count(*)::int as n
                       from public.audit_logs where created_at >= (${since})::timestamp at time zone 'UTC' group by 1)
     select days.day, coalesce(counts.n, 0)::int as count from days left join counts using (day) order by days.day`,
    [days],
  );
  // RL-3: every request an API key's per-key or per-org limit refused is in the key's verification log.
  const limited = await tx.query<DayCount>(
    `with days as (${DAYS_SQL}),
          counts as (select to_char(at at time zone 'UTC', 'YYYY-MM-DD') as day, sum(coalesce(repeats, 1))::int as n
                       from public.key_verifications where reason = 'rate_limited' and at >= (${since})::timestamp at time zone 'UTC' group by 1)
     select days.day, coalesce(counts.n, 0)::int as count from days left join counts using (day) order by days.day`,
    [days],
  );
  const webhooks = await tx.query<WebhookDay>(
    `with days as (${DAYS_SQL}),
          counts as (select to_char(received_at at time zone 'UTC', 'YYYY-MM-DD') as day,
                            count(*) filter (where status = 'processed')::int as processed,
                            count(*) filter (where status = 'failed')::int as failed,
                            count(*) filter (where status = 'ignored')::int as ignored
                       from public.webhook_events where received_at >= (${since})::timestamp at time zone 'UTC' group by 1)
     select days.day, coalesce(processed, 0)::int as processed, coalesce(failed, 0)::int as failed, coalesce(ignored, 0)::int as ignored
       from days left join counts using (day) order by days.day`,
    [days],
  );
  const names = Object.keys(SECURITY_EVENTS);
  const events = await tx.query<{ action: string; n: number }>(
    `select action, count(*)::int as n from public.audit_logs
      where action = any($2::text[]) and created_at >= (${since})::timestamp at time zone 'UTC' group by action`,
    [days, names],
  );
  const bySeverity = new Map<Severity, number>(SEVERITIES.filter((s) => s !== "info").map((s) => [s, 0]));
  for (const e of events) {
    const severity = SECURITY_EVENTS[e.action as keyof typeof SECURITY_EVENTS].severity as Severity;
    bySeverity.set(severity, (bySeverity.get(severity) ?? 0) + e.n);
  }
  return {
    days,
    auditActivity: audit,
    rateLimitHits: limited,
    webhookOutcomes: webhooks,
    eventsBySeverity: [...bySeverity].map(([severity, count]) => ({ severity, count })),
  };
}
