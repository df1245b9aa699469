import "server-only";
import { ownerDb, type Queryable } from "@/lib/db";
import type { CheckResult } from "@/lib/controls/live-checks";

/**
 * TEN-7 live check (as the tables' owner). Must be none: expired grants the policy helper still counts
 * (private.expired_grants_effective runs private.granted_project_ids under each expired grant's own claims, so it
 * proves what RLS would let through, not what the table says). Request roles must not write grants or links directly,
 * and every project-scoped table (a `project_id` column) must have a restrictive read policy through the grant helpers. Then, as information: live and expired grants, guests, pending links.
 */
export async function checkProjectGrants(db?: Queryable): Promise<CheckResult> {
  const tx = db ?? (await ownerDb());
  const [facts] = await tx.query<{ effective: number; direct_writes: string[]; uncovered: string[]; live: number; expired: number; guests: number; links: number }>(
    `select private.expired_grants_effective() as effective,
            array(select distinct g.grantee::text || ' ' || lower(g.privilege_type) || ' ' || g.table_name::text
                    from information_schema.role_table_grants g
                   where g.table_schema = 'public' and g.table_name in ('project_grants', 'project_invite_links', 'project_invite_redemptions')
                     and g.grantee in ('authenticated', 'anon', 'PUBLIC', 'app_runtime')
                     and g.privilege_type in ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
                   order by 1) as direct_writes,
            -- Every project-scoped table (a project_id column) has a restrictive read policy through the grant helpers,
            -- except those with rules of their own: keys (TEN-6, admin-only) and the grant tables themselves.
            array(select c.relname::text
                    from pg_catalog.pg_class c
                    join pg_catalog.pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
                    join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attname = 'project_id' and not a.attisdropped
                   where c.relkind in ('r', 'p') and not c.relispartition
                     and c.relname not in ('api_keys', 'project_grants', 'project_invite_links')
                     and not exists (
                       select 1 from pg_catalog.pg_policy pol
                        where pol.polrelid = c.oid and not pol.polpermissive and pol.polcmd in ('r', '*')
                          and pg_catalog.pg_get_expr(pol.polqual, pol.polrelid) like '%private.granted_project_ids%')
                   order by 1) as uncovered,
            (select count(*)::int from public.project_grants where expires_at is null or expires_at > now()) as live,
            (select count(*)::int from public.project_grants where expires_at <= now()) as expired,
            (select count(*)::int from public.memberships where role = 'guest') as guests,
            (select count(*)::int from public.project_invite_links where revoked_at is null and uses < max_uses and expires_at > now()) as links`,
  );
  const { effective = 0, direct_writes = [], uncovered = [], live = 0, expired = 0, guests = 0, links = 0 } = facts ?? {};
  if (effective > 0) return { status: "fail", detail: `${effective} expired grant(s) still give access through the policy helper.` };
  if (direct_writes.length > 0) return { status: "fail", detail: `Request roles can write grant tables directly, bypassing the manager rules: ${direct_writes.join(", ")}.` };
  if (uncovered.length > 0) return { status: "fail", detail: `Project-scoped tables without a grant-aware read policy (members and guests would see every project's rows): ${uncovered.join(", ")}.` };
  return {
    status: "pass",
    detail: `Expired grants still effective: none. ${live} live grant(s), ${expired} expired, ${guests} guest(s), ${links} usable invite link(s); grant writes go only through the rule-checking functions, and every project-scoped table reads through the grant helpers.`,
  };
}
