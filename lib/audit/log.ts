import "server-only";
import { z } from "zod";
import { defineAction, hasRole } from "@/lib/actions/pipeline";
import type { Session } from "@/lib/auth/claims";
import type { ChainBreak } from "./chain";
import { ownerDb, type Queryable } from "@/lib/db";
import type { PageConfig } from "@/lib/pages/read";
import { checkpointInTransaction, latestStoredCheckpoint } from "./checkpoints";
import { eventsWithSeverity, SECURITY_EVENTS, SEVERITIES, severityOf, type Severity } from "./events";
import { auditSettingsInput, auditSettingsOf, saveAuditSettings } from "./retention";
import type { SignedCheckpoint } from "./signing";
import { verifyAuditChains } from "./verify";

/**
 * AUD-1..5: the audit log as owners and admins read it (/settings/audit): filtered by actor, action, target,
 * severity and date range, newest first with keyset pagination on seq, each entry with its changes; exports of the
 * filtered range; the chain's verification; retention settings. Row-level security lets only owners and admins of
 * the org read its entries (audit_logs_select); the page pipeline answers 404 to everyone else.
 */

const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .catch(undefined)
    .transform((v) => (v ? v : undefined));
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)))
  .optional()
  .catch(undefined);

/** Query-string filters; anything malformed is simply ignored (a filter never turns into an error page). */
export const auditLogFilter = z.object({
  actor: text(200),
  action: text(100),
  target: text(200),
  severity: z.enum(SEVERITIES).optional().catch(undefined),
  from: day,
  to: day,
  before: z.coerce.number().int().positive().optional().catch(undefined),
});
export type AuditLogFilter = Partial<z.output<typeof auditLogFilter>>;

export interface AuditLogEntry {
  seq: number;
  createdAt: string;
  actorType: string;
  actorId: string | null;
  action: string;
  severity: Severity;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  changes: Record<string, unknown>;
  hash: string;
}

const ALL_SECURITY_EVENTS = Object.keys(SECURITY_EVENTS);

/** The WHERE clause and parameters of a filter ($1 is the org). */
function whereOf(orgId: string, filter: AuditLogFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [orgId];
  const clauses = ["org_id = $1"];
  const add = (clause: (n: number) => string, value: unknown) => {
    params.push(value);
    clauses.push(clause(params.length));
  };
  if (filter.actor) add((n) => `(actor_id = $${n} or actor_type = $${n})`, filter.actor);
  // An action or a family of actions: "member" matches member.role_changed, member.removed, ...
  if (filter.action) add((n) => `(action = $${n} or action like replace(replace($${n}, '_', '\\_'), '%', '\\%') || '.%')`, filter.action);
  if (filter.target) add((n) => `(target_id = $${n} or target_type = $${n})`, filter.target);
  if (filter.severity === "info") add((n) => `not (action = any($${n}::text[]))`, ALL_SECURITY_EVENTS);
  else if (filter.severity) add((n) => `action = any($${n}::text[])`, eventsWithSeverity(filter.severity));
  if (filter.from) add((n) => `created_at >= $${n}::date`, filter.from);
  if (filter.to) add((n) => `created_at < $${n}::date + 1`, filter.to);
  return { sql: clauses.join(" and "), params };
}

interface Row {
  seq: number;
  created_at: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  changes: Record<string, unknown>;
  hash: string;
}

const COLUMNS = `seq, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at, actor_type, actor_id, action,
  target_type, target_id, ip, user_agent, request_id, changes, hash`;

const entryOf = (r: Row): AuditLogEntry => ({
  seq: Number(r.seq),
  createdAt: r.created_at,
  actorType: r.actor_type,
  actorId: r.actor_id,
  action: r.action,
  severity: severityOf(r.action),
  targetType: r.target_type,
  targetId: r.target_id,
  ip: r.ip,
  userAgent: r.user_agent,
  requestId: r.request_id,
  changes: r.changes ?? {},
  hash: r.hash,
});

export const AUDIT_PAGE_SIZE = 50;

/** One page, newest first; `next` is the seq to continue before (keyset on the (org_id, seq) key). */
export async function listAuditLog(tx: Queryable, orgId: string, filter: AuditLogFilter, limit = AUDIT_PAGE_SIZE): Promise<{ entries: AuditLogEntry[]; next: number | null }> {
  const where = whereOf(orgId, filter);
  const params = [...where.params];
  let sql = `select ${COLUMNS} from public.audit_logs where ${where.sql}`;
  if (filter.before) {
    params.push(filter.before);
    sql += ` and seq < $${params.length}`;
  }
  params.push(limit + 1);
  const rows = await tx.query<Row>(`${sql} order by seq desc limit $${params.length}`, params);
  const entries = rows.slice(0, limit).map(entryOf);
  return { entries, next: rows.length > limit ? (entries.at(-1)?.seq ?? null) : null };
}

/** Every entry of a filter (oldest first, at most `max`), for the CSV export. */
export async function allAuditEntries(tx: Queryable, orgId: string, filter: AuditLogFilter, max = 100_000): Promise<AuditLogEntry[]> {
  const where = whereOf(orgId, { ...filter, before: undefined });
  const rows = await tx.query<Row>(`select ${COLUMNS} from public.audit_logs where ${where.sql} order by seq limit $${where.params.length + 1}`, [...where.params, max]);
  return rows.map(entryOf);
}

const CSV_COLUMNS = ["seq", "created_at", "severity", "actor_type", "actor_id", "action", "target_type", "target_id", "ip", "user_agent", "request_id", "changes", "hash"] as const;

/** A CSV cell: quoted when needed, and a leading = + - @ neutralised so that a spreadsheet never runs it as a formula. */
function cell(value: unknown): string {
  let s = value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV export: a header, the entries, and the signed checkpoint that covers them as trailing comment lines. */
export function auditCsv(entries: AuditLogEntry[], checkpoint: SignedCheckpoint | null): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const e of entries) {
    lines.push(
      [e.seq, e.createdAt, e.severity, e.actorType, e.actorId, e.action, e.targetType, e.targetId, e.ip, e.userAgent, e.requestId, e.changes, e.hash].map(cell).join(","),
    );
  }
  lines.push(`# checkpoint,${cell(checkpoint ? JSON.stringify(checkpoint) : "none")}`);
  return `${lines.join("\r\n")}\r\n`;
}

export interface AuditOverview {
  latestCheckpoint: SignedCheckpoint | null;
  settings: { retentionDays: number; legalHold: boolean };
  /** High and critical security events of the last 7 days (the admins' dashboard). */
  alerts: AuditLogEntry[];
}

export async function auditOverview(tx: Queryable, orgId: string): Promise<AuditOverview> {
  const alertEvents = [...eventsWithSeverity("high"), ...eventsWithSeverity("critical")];
  const alerts = await tx.query<Row>(
    `select ${COLUMNS} from public.audit_logs where org_id = $1 and action = any($2::text[]) and created_at > now() - interval '7 days' order by seq desc limit 10`,
    [orgId, alertEvents],
  );
  return { latestCheckpoint: await latestStoredCheckpoint(tx, orgId), settings: await auditSettingsOf(tx, orgId), alerts: alerts.map(entryOf) };
}

/** The page's read (/settings/audit): owners and admins; the query string is the filter. */
export const AUDIT_LOG_PAGE: PageConfig<typeof auditLogFilter, { log: Awaited<ReturnType<typeof listAuditLog>>; overview: AuditOverview }> = {
  name: "audit.log", title: "Audit log",
  minimumRole: "admin",
  params: auditLogFilter,
  read: async ({ session, params, tx }) => ({ log: await listAuditLog(tx, session.orgId!, params), overview: await auditOverview(tx, session.orgId!) }),
};

/**
 * "Verify chain": the org's chain against its head and its latest signed checkpoint, read as the owner for the
 * session's own org only (the heads and the other principals' view are not readable under RLS). Owners and admins.
 */
export async function verifyOrgChain(session: Session | null): Promise<{ ok: true; data: { entries: number; breaks: ChainBreak[]; checkpoint: SignedCheckpoint | null } } | { ok: false; status: number; message: string }> {
  if (!session?.orgId) return { ok: false, status: 401, message: "Sign in and choose an organisation first." };
  if (!hasRole(session, "admin")) return { ok: false, status: 403, message: "Only organisation admins and owners can do this." };
  const db = await ownerDb();
  const result = await verifyAuditChains(db, session.orgId);
  return { ok: true, data: { entries: result.entries, breaks: result.breaks, checkpoint: await latestStoredCheckpoint(db, session.orgId) } };
}

/** "Sign a checkpoint now": audited first, so that the checkpoint covers its own entry. */
export const signCheckpointNow = defineAction({
  name: "audit.checkpoint",
  schema: z.object({}),
  minimumRole: "admin",
  async run({ session, tx, audit }) {
    await audit({ action: "audit.checkpoint_signed", targetType: "organization", targetId: session.orgId, changes: {} });
    return checkpointInTransaction(tx, session.orgId);
  },
});

const settingsForm = z.object({
  retentionDays: auditSettingsInput.shape.retentionDays,
  legalHold: z.union([z.literal("on"), z.literal("true"), z.literal(""), z.undefined(), z.null()]).transform((v) => v === "on" || v === "true"),
});

/** AUD-4: retention days and legal hold (owners and admins; audited with before and after). */
export const updateAuditSettings = defineAction({
  name: "audit.settings",
  schema: settingsForm,
  minimumRole: "admin",
  async run({ input, session, tx, audit }) {
    const before = await saveAuditSettings(tx, session.orgId, input);
    const changes: Record<string, unknown> = {};
    if (before.retentionDays !== input.retentionDays) changes.retention_days = { from: before.retentionDays, to: input.retentionDays };
    if (before.legalHold !== input.legalHold) changes.legal_hold = { from: before.legalHold, to: input.legalHold };
    await audit({ action: "audit.settings_changed", targetType: "organization", targetId: session.orgId, changes });
    return input;
  },
});

export type VerifyOutcome = Awaited<ReturnType<typeof verifyOrgChain>>;
