import "server-only";
import type { Queryable } from "@/lib/db";
import type { LiveCheckId } from "@/lib/controls/live-checks";
import { populationHash } from "./format";

/**
 * OPS-3: the population behind each live check, so an auditor can test completeness and accuracy of what the check
 * decided on: the queries (SQL as run, `$1` = the org id), their row counts and a hash over the canonical rows
 * (lib/evidence/format.ts populationHash). They run in the org's own tenant transaction, under row-level security,
 * so a pack never counts another organisation's rows. A check decided by configuration or by the live system rather
 * than by rows says so in `note` and has no query.
 */
export interface PopulationQuery {
  name: string;
  description: string;
  sql: string;
}

export interface CheckPopulationSpec {
  queries: PopulationQuery[];
  note?: string;
}

const q = (name: string, description: string, sql: string): PopulationQuery => ({ name, description, sql: sql.replace(/\s+/g, " ").trim() });

const AUDIT_CHAIN = q("audit_chain", "The org's audit entries with their chain links.", "select seq, prev_hash, hash, action, created_at from public.audit_logs where org_id = $1");
const CHECKPOINTS = q("audit_checkpoints", "The org's signed checkpoints.", "select seq, hash, signed_at, purpose, key_id from public.audit_checkpoints where org_id = $1");
const API_KEYS = q("api_keys", "Every API key of the org (no secret or hash).", "select id, project_id, expires_at, revoked_at, created_at from public.api_keys where org_id = $1");
const CATALOGUE_TABLES = q(
  "app_tables",
  "Every table of the app schemas with its row-level security flags and policy count (the catalogue, the same for every org).",
  `select n.nspname as schema, c.relname as table_name, c.relrowsecurity as rls_enabled, c.relforcerowsecurity as rls_forced,
          (select count(*)::int from pg_catalog.pg_policy p where p.polrelid = c.oid) as policies
     from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname in ('public', 'idp', 'private')`,
);
const DATA_KEYS_NOTE = "Data keys are readable only by the key-rotation role, never in an org's scope: the check's output counts them per key-encryption key.";
const CONFIGURATION = "Decided by the deployment's configuration or a live probe, not by rows: the check's output is the evidence.";

export const POPULATIONS: Record<LiveCheckId, CheckPopulationSpec> = {
  "rls-coverage": { queries: [CATALOGUE_TABLES] },
  "runtime-role": {
    queries: [q("request_roles", "The roles requests run as, with the attributes that would bypass row-level security.", "select rolname, rolsuper, rolbypassrls, rolinherit from pg_catalog.pg_roles where rolname in ('app_runtime', 'authenticated', 'anon')")],
  },
  "database-session": { queries: [], note: CONFIGURATION },
  "audit-chain": { queries: [AUDIT_CHAIN] },
  "security-headers": { queries: [], note: CONFIGURATION },
  "expired-keys": {
    queries: [
      API_KEYS,
      q("api_keys_past_expiry", "Unrevoked keys whose expiry has passed (each must be refused).", "select id, expires_at from public.api_keys where org_id = $1 and revoked_at is null and expires_at <= now()"),
    ],
  },
  "rate-limit-backend": { queries: [], note: CONFIGURATION },
  "embedded-in-production": { queries: [], note: CONFIGURATION },
  "url-import-policy": { queries: [], note: CONFIGURATION },
  "pending-scans": {
    queries: [
      q("documents", "Every document of the org with its scan state.", "select id, project_id, status, created_at, scanned_at from public.documents where org_id = $1"),
      q("documents_waiting_for_scan", "Documents still pending or failed and awaiting a retry.", "select id, status, created_at from public.documents where org_id = $1 and status in ('pending_scan', 'scan_failed')"),
    ],
  },
  "dead-jobs": { queries: [q("dead_jobs", "The org's jobs in the dead-letter state.", "select id, kind, attempts, finished_at from public.jobs where org_id = $1 and state = 'dead'")] },
  "virus-scanner": { queries: [], note: CONFIGURATION },
  "file-storage": { queries: [], note: CONFIGURATION },
  "videos-waiting": { queries: [q("videos", "Every video of the org with its Mux state.", "select id, project_id, status, created_at from public.videos where org_id = $1")] },
  "plan-limits": {
    queries: [
      q("projects", "The org's projects.", "select id, created_at from public.projects where org_id = $1"),
      q("unrevoked_api_keys", "The org's unrevoked API keys (the plan counts these).", "select id from public.api_keys where org_id = $1 and revoked_at is null"),
      q("memberships", "The org's members and their roles.", "select user_id, role from public.memberships where org_id = $1"),
      q("subscriptions", "The org's subscriptions (the effective plan).", "select plan, status from public.subscriptions where org_id = $1"),
    ],
  },
  "webhook-rejections": { queries: [], note: "Rejected deliveries fail before an organisation is known, so they belong to no org's population; the check's output counts the deployment's." },
  "webhook-backlog": { queries: [q("webhook_events_open", "The org's webhook events failed or received without their effect.", "select id, provider, event_type, status, received_at from public.webhook_events where org_id = $1 and status in ('failed', 'received')")] },
  memberships: {
    queries: [
      q("memberships", "The org's members and their roles.", "select user_id, role from public.memberships where org_id = $1"),
      q("org_invites", "The org's invites with their state (no token).", "select id, role, created_at, expires_at, redeemed_at, revoked_at from public.org_invites where org_id = $1"),
    ],
  },
  "support-sessions": { queries: [q("support_grants", "Support consents given by the org.", "select id, operator_user_id, access_level, created_at, expires_at, revoked_at from public.support_grants where org_id = $1")] },
  "standing-access": {
    queries: [q("public_policies", "Every row-level security policy on the public schema (the catalogue).", "select tablename, policyname, permissive, roles::text[] as roles, cmd from pg_catalog.pg_policies where schemaname = 'public'")],
  },
  "project-grants": {
    queries: [
      q("project_grants", "The org's project grants.", "select project_id, user_id, role, expires_at from public.project_grants where org_id = $1"),
      q("project_invite_links", "The org's project invite links (no token).", "select id, project_id, role, max_uses, uses, expires_at, revoked_at from public.project_invite_links where org_id = $1"),
    ],
  },
  "audit-checkpoints": { queries: [CHECKPOINTS, AUDIT_CHAIN] },
  "audit-retention": {
    queries: [
      q("audit_settings", "The org's retention and legal hold.", "select retention_days, legal_hold from public.audit_settings where org_id = $1"),
      q("audit_entries_by_day", "The org's audit entries per UTC day (what retention removes).", "select (created_at at time zone 'UTC')::date::text as day, count(*)::int as entries from public.audit_logs where org_id = $1 group by 1"),
    ],
  },
  "audit-write-failures": { queries: [q("audit_retries", "The org's queued audit retries.", "select id, state, attempts, created_at from public.jobs where org_id = $1 and kind = 'audit.retry'")] },
  "second-factor-rule": {
    queries: [
      q("second_factor_rule", "The org's two-step verification rule.", "select require_second_factor, second_factor_window_minutes from public.organizations where id = $1"),
      q("owners_and_admins", "The org's owners and admins (whom the rule binds).", "select user_id, role from public.memberships where org_id = $1 and role in ('owner', 'admin')"),
    ],
  },
  "refresh-reuse": { queries: [], note: "Sessions belong to users, not to an organisation: the check's output counts the deployment's." },
  "sign-in-lockouts": { queries: [], note: "Sign-in attempts belong to accounts, not to an organisation: the check's output counts the deployment's." },
  "records-per-key-version": {
    queries: [q("integration_credentials", "The org's stored credentials and the data key of each (no ciphertext).", "select id, service, data_key_id from public.integration_credentials where org_id = $1")],
    note: DATA_KEYS_NOTE,
  },
  "keys-pending-retirement": { queries: [], note: DATA_KEYS_NOTE },
  "decrypt-self-test": { queries: [], note: "A throwaway value is encrypted and decrypted: no stored rows decide it." },
  sbom: { queries: [], note: "Decided by the build's SBOM file and the running version, not by rows: the check's output is the evidence." },
  "security-txt": { queries: [], note: CONFIGURATION },
  "feature-flags": { queries: [], note: "Decided by config/feature-flags.json and the deployment's FLAG_ overrides, not by rows: the check's output is the evidence." },
  "api-key-hygiene": {
    queries: [
      API_KEYS,
      q("api_keys_live_without_expiry_or_unused", "Live keys that never expire, or unused for 90 days (never used: created 90 days ago).", "select id, expires_at, last_used_at, created_at from public.api_keys where org_id = $1 and revoked_at is null and (expires_at is null or expires_at > now()) and (expires_at is null or coalesce(last_used_at, created_at) < now() - interval '90 days')"),
    ],
  },
  "org-second-factor": {
    queries: [q("admins", "The org's owners and admins (the check counts those without a second factor).", "select user_id, role from public.memberships where org_id = $1 and role in ('owner', 'admin')")],
  },
};

export interface QueryPopulation {
  name: string;
  description: string;
  sql: string;
  /** "ok", or "not_readable" when the org's scope may not read it (the error's SQLSTATE in `error_code`). */
  status: "ok" | "not_readable";
  error_code?: string;
  row_count: number | null;
  sha256: string | null;
}

export interface CheckPopulation {
  check: LiveCheckId;
  note: string | null;
  queries: QueryPopulation[];
}

/**
 * Runs every population query in the caller's tenant transaction (the org's row-level security scope), each in a
 * savepoint so one the scope may not read is reported and the rest still run. Times are read in UTC, so the
 * canonical rows (to_jsonb) are the same on every engine and session.
 */
export async function collectPopulations(tx: Queryable, orgId: string): Promise<CheckPopulation[]> {
  await tx.query("select set_config('timezone', 'UTC', true)");
  const out: CheckPopulation[] = [];
  for (const check of Object.keys(POPULATIONS).sort() as LiveCheckId[]) {
    const spec = POPULATIONS[check];
    const queries: QueryPopulation[] = [];
    for (const query of spec.queries) {
      await tx.query("savepoint evidence_population");
      try {
        const rows = await tx.query<{ r: unknown }>(`select to_jsonb(p) as r from (${query.sql}) p`, query.sql.includes("$1") ? [orgId] : []);
        await tx.query("release savepoint evidence_population");
        const values = rows.map((row) => (typeof row.r === "string" ? (JSON.parse(row.r) as unknown) : row.r));
        queries.push({ name: query.name, description: query.description, sql: query.sql, status: "ok", row_count: values.length, sha256: populationHash(values) });
      } catch (error) {
        await tx.query("rollback to savepoint evidence_population");
        const code = (error as { code?: unknown }).code;
        queries.push({ name: query.name, description: query.description, sql: query.sql, status: "not_readable", error_code: typeof code === "string" ? code : "error", row_count: null, sha256: null });
      }
    }
    out.push({ check, note: spec.note ?? null, queries });
  }
  return out;
}
