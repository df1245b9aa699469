import "server-only";
import type { Session } from "@/lib/auth/claims";
import type { Queryable } from "@/lib/db";
import { hasRole } from "@/lib/actions/pipeline";
import { readUsage, type Usage } from "@/lib/billing";
import { ACTIVITY_DAYS, fillDays, type ActivityDay } from "./days";
import { eventsWithSeverity, SEVERITIES, severityOf, type Severity } from "@/lib/audit/events";

export { ACTIVITY_DAYS, fillDays, type ActivityDay } from "./days";
export const SECURITY_EVENT_DAYS = 7;

export interface OverviewCounts {
  projects: number;
  documents: number;
  videos: number;
  /** Null where the caller's role may not read them (RLS: owners and admins for keys; members and up for members). */
  apiKeys: number | null;
  members: number | null;
}

export interface SecurityEventRow {
  id: string;
  action: string;
  severity: Severity;
  createdAt: string;
}

export interface Overview {
  counts: OverviewCounts;
  usage: Usage | null;
  activity: ActivityDay[] | null;
  securityEvents: { bySeverity: Record<Severity, number>; recent: SecurityEventRow[] } | null;
}

const count = async (tx: Queryable, sql: string, params: unknown[] = []) => Number((await tx.query<{ n: string }>(sql, params))[0]?.n ?? 0);

/**
 * The org's overview, read inside the caller's tenant transaction (TEN-2): every count is what RLS lets the caller
 * see (a guest counts only its projects and their files). Org-level figures (plan usage, API keys, audit activity,
 * security events) are read for owners and admins only, whose policies admit them; for anyone else they are null.
 */
export async function readOverview(tx: Queryable, session: Session, now = new Date()): Promise<Overview> {
  const admin = hasRole(session, "admin");
  const member = hasRole(session, "member");
  const counts: OverviewCounts = {
    projects: await count(tx, "select count(*)::text as n from public.projects"),
    documents: await count(tx, "select count(*)::text as n from public.documents"),
    videos: await count(tx, "select count(*)::text as n from public.videos"),
    apiKeys: admin ? await count(tx, "select count(*)::text as n from public.api_keys where revoked_at is null and (expires_at is null or expires_at > now())") : null,
    members: member ? await count(tx, "select count(*)::text as n from public.memberships where role <> 'guest'") : null,
  };
  if (!admin) return { counts, usage: null, activity: null, securityEvents: null };

  const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - (ACTIVITY_DAYS - 1) * 86_400_000);
  const activityRows = await tx.query<{ day: string; entries: string }>(
    `select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day, count(*)::text as entries
       from public.audit_logs where created_at >= $1 group by 1`,
    [since.toISOString()],
  );
  const tracked = SEVERITIES.filter((s) => s !== "info").flatMap((s) => eventsWithSeverity(s));
  const eventRows = await tx.query<{ action: string; n: string }>(
    `select action, count(*)::text as n from public.audit_logs where action = any($1::text[]) and created_at > now() - make_interval(days => $2) group by action`,
    [tracked, SECURITY_EVENT_DAYS],
  );
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const r of eventRows) bySeverity[severityOf(r.action)] += Number(r.n);
  const recent = await tx.query<{ id: string; action: string; created_at: Date | string }>(
    `select id::text, action, created_at from public.audit_logs
      where action = any($1::text[]) and created_at > now() - make_interval(days => $2) order by created_at desc limit 10`,
    [[...eventsWithSeverity("high"), ...eventsWithSeverity("critical")], SECURITY_EVENT_DAYS],
  );
  return {
    counts,
    usage: await readUsage(tx),
    activity: fillDays(
      activityRows.map((r) => ({ day: r.day, entries: Number(r.entries) })),
      now,
    ),
    securityEvents: {
      bySeverity,
      recent: recent.map((r) => ({ id: r.id, action: r.action, severity: severityOf(r.action), createdAt: new Date(r.created_at).toISOString() })),
    },
  };
}
