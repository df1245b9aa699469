import "server-only";
import type { Queryable } from "@/lib/db";

export interface StandingAccessProblem {
  kind: "missing-support-policy" | "unconditional-policy" | "operator-policy" | "bypass-role";
  object: string;
  detail: string;
}

/**
 * Roles that may hold SUPERUSER or BYPASSRLS: the bootstrap superuser / tables' owner, and Supabase's own
 * administrative roles. None of them may be reachable from a role requests run as (checked below).
 */
export const BYPASS_ROLE_EXCEPTIONS = ["postgres", "supabase_admin", "service_role", "supabase_auth_admin", "supabase_storage_admin", "supabase_replication_admin", "supabase_read_only_user", "supabase_etl_admin"] as const;

/** The roles requests and services connect or switch to (lib/db). */
export const RUNTIME_ROLES = ["app_runtime", "authenticated", "anon", "key_log_writer", "embedded_idp", "key_verifier", "job_runner", "job_service", "video_events", "webhook_service", "membership_events", "audit_maintenance", "key_rotation"] as const;

/**
 * Unconditional policies that are a maintenance role's one job across every org, each narrowed by its grants and
 * run by a command or scheduled job with no claims, never by a person's request: key rotation reads and rewrites only
 * wrapped keys and ciphertext columns (ENC-2); audit retention reads each org's retention setting (AUD-4).
 */
export const MAINTENANCE_POLICY_EXCEPTIONS = [
  "public.data_keys.data_keys_rotation",
  "public.integration_credentials.integration_credentials_rotation_select",
  "public.integration_credentials.integration_credentials_rotation_update",
  "public.personal_credentials.personal_credentials_rotation_select",
  "public.personal_credentials.personal_credentials_rotation_update",
  "public.audit_settings.audit_settings_retention_select",
] as const;

/**
 * TEN-8: "no standing access", read from the catalog (run as the owner). Tenant tables are every public table with an
 * org_id column, so a table added later is covered by the same rules without editing this list.
 *  - every tenant table has the restrictive support policies (access for all commands; insert, update and delete
 *    only under a read-write consent; audit_logs: its insert policy requires the operator's name instead);
 *  - no permissive policy on a tenant table lets a request role in with an unconditional `true`;
 *  - no policy anywhere reads the operator list (being an operator grants nothing);
 *  - no role with BYPASSRLS other than superusers (the deployment's administrators), the tables' owner and Supabase's
 *    administrative roles, and no superuser or BYPASSRLS role reachable from a role requests run as.
 */
export async function findStandingAccess(db: Pick<Queryable, "query">): Promise<StandingAccessProblem[]> {
  const problems: StandingAccessProblem[] = [];
  const tables = await db.query<{ tbl: string; access: boolean; ins: boolean; upd: boolean; del: boolean }>(
    `with tenant as (
       select c.oid, c.relname from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p')
          and exists (select 1 from pg_catalog.pg_attribute a where a.attrelid = c.oid and a.attname = 'org_id' and not a.attisdropped)
     ), pol as (
       select p.polrelid, p.polcmd, p.polpermissive, p.polroles,
              coalesce(pg_catalog.pg_get_expr(p.polqual, p.polrelid), '') as qual,
              coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), '') as chk
         from pg_catalog.pg_policy p
        where not p.polpermissive
          and (select oid from pg_catalog.pg_roles where rolname = 'authenticated') = any(p.polroles)
     )
     select t.relname as tbl,
            exists (select 1 from pol where pol.polrelid = t.oid and pol.polcmd = '*' and pol.qual like '%private.support_allows_read()%' and pol.chk like '%private.support_allows_read()%') as access,
            exists (select 1 from pol where pol.polrelid = t.oid and pol.polcmd = 'a'
                      and (pol.chk like '%private.support_allows_write()%' or (t.relname = 'audit_logs' and pol.chk like '%act_sub%''act''%'))) as ins,
            exists (select 1 from pol where pol.polrelid = t.oid and pol.polcmd = 'w' and pol.qual like '%private.support_allows_write()%' and pol.chk like '%private.support_allows_write()%') as upd,
            exists (select 1 from pol where pol.polrelid = t.oid and pol.polcmd = 'd' and pol.qual like '%private.support_allows_write()%') as del
       from tenant t order by 1`,
  );
  for (const t of tables) {
    const missing = [!t.access && "access", !t.ins && "insert", !t.upd && "update", !t.del && "delete"].filter(Boolean);
    if (missing.length) problems.push({ kind: "missing-support-policy", object: `public.${t.tbl}`, detail: `no restrictive support policy for ${missing.join(", ")}` });
  }

  const unconditional = await db.query<{ tbl: string; policy: string }>(
    `select c.relname as tbl, p.polname as policy
       from pg_catalog.pg_policy p join pg_catalog.pg_class c on c.oid = p.polrelid join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and p.polpermissive
        and exists (select 1 from pg_catalog.pg_attribute a where a.attrelid = c.oid and a.attname = 'org_id' and not a.attisdropped)
        and (p.polroles = '{0}' or exists (select 1 from pg_catalog.pg_roles r where r.oid = any(p.polroles) and r.rolname = any($1::text[])))
        and (btrim(coalesce(pg_catalog.pg_get_expr(p.polqual, p.polrelid), ''), '() ') = 'true'
             or btrim(coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), ''), '() ') = 'true')
      order by 1, 2`,
    [RUNTIME_ROLES],
  );
  const maintenance = new Set<string>(MAINTENANCE_POLICY_EXCEPTIONS);
  for (const u of unconditional.filter((x) => !maintenance.has(`public.${x.tbl}.${x.policy}`))) problems.push({ kind: "unconditional-policy", object: `public.${u.tbl}.${u.policy}`, detail: "permissive policy with an unconditional `true` for a request role" });

  const operators = await db.query<{ obj: string }>(
    `select n.nspname || '.' || c.relname || '.' || p.polname as obj
       from pg_catalog.pg_policy p join pg_catalog.pg_class c on c.oid = p.polrelid join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where c.relname <> 'platform_operators'
        and (coalesce(pg_catalog.pg_get_expr(p.polqual, p.polrelid), '') || ' ' || coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), '')) like '%platform_operators%'
      order by 1`,
  );
  for (const o of operators) problems.push({ kind: "operator-policy", object: o.obj, detail: "a policy reads the operator list: being an operator must grant nothing" });

  const roles = await db.query<{ rolname: string; rolsuper: boolean; reachable: string[] }>(
    `select r.rolname::text as rolname, r.rolsuper,
            array(select x from unnest($1::text[]) x
                   where exists (select 1 from pg_catalog.pg_roles rr where rr.rolname = x)
                     and x <> r.rolname and pg_catalog.pg_has_role(x, r.oid, 'MEMBER')) as reachable
       from pg_catalog.pg_roles r
      where (r.rolsuper or r.rolbypassrls) and r.rolname not like 'pg\\_%'
      order by 1`,
    [RUNTIME_ROLES],
  );
  const owner = await db.query<{ owner: string }>(
    "select distinct pg_catalog.pg_get_userbyid(c.relowner)::text as owner from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind in ('r', 'p')",
  );
  const allowed = new Set<string>([...BYPASS_ROLE_EXCEPTIONS, ...owner.map((o) => o.owner)]);
  for (const r of roles) {
    // A superuser is the deployment's administrator (it owns or can become anything); a plain role with BYPASSRLS is
    // allowed only as the tables' owner or one of Supabase's administrative roles.
    if (!r.rolsuper && !allowed.has(r.rolname)) problems.push({ kind: "bypass-role", object: r.rolname, detail: "role with BYPASSRLS that is not the owner's" });
    if (r.reachable.length) problems.push({ kind: "bypass-role", object: r.rolname, detail: `reachable from request roles: ${r.reachable.join(", ")}` });
  }
  return problems;
}
