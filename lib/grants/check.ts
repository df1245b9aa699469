import "server-only";
import { ownerDb, type Queryable } from "@/lib/db";
import type { CheckResult } from "@/lib/controls/live-checks";

/**
 * TEN-7 live check (as the tables' owner). Must be none: expired grants the policy helper still counts
 * (private.expired_grants_effective runs private.granted_project_ids under each expired grant's own claims, so it
 * proves what RLS would let through, not what the table says). Request roles must not write grants or links directly,
 * and the project policies must be in place. Then, as information: live and expired grants, guests, pending links.
 */
export async function checkProjectGrants(db?: Queryable): Promise<CheckResult> {
  const tx = db ?? (await ownerDb());
  const [facts] = await tx.query<{ effective: number; direct_writes: string[]; policies: number; live: number; expired: number; guests: number; links: number }>(
    `select private.expired_grants_effective() as effective,
            array(select distinct g.grantee::text || ' ' || lower(g.privilege_type) || ' ' || g.table_name::text
                    from information_schema.role_table_grants g
                   where g.table_schema = 'public' and g.table_name in ('project_grants', 'project_invite_links', 'project_invite_redemptions')
                     and g.grantee in ('authenticated', 'anon', 'PUBLIC', 'app_runtime')
                     and g.privilege_type in ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
                   order by 1) as direct_writes,
            (select count(*)::int from pg_catalog.pg_policies p
              where p.schemaname = 'public' and p.tablename in ('projects', 'documents', 'videos') and p.policyname like '%\\_grants\\_%'
                and p.permissive = 'RESTRICTIVE') as policies,
            (select count(*)::int from public.project_grants where expires_at is null or expires_at > now()) as live,
            (select count(*)::int from public.project_grants where expires_at <= now()) as expired,
            (select count(*)::int from public.memberships where role = 'guest') as guests,
            (select count(*)::int from public.project_invite_links where revoked_at is null and uses < max_uses and expires_at > now()) as links`,
  );
  const { effective = 0, direct_writes = [], policies = 0, live = 0, expired = 0, guests = 0, links = 0 } = facts ?? {};
  if (effective > 0) return { status: "fail", detail: `${effective} expired grant(s) still give access through the policy helper.` };
  if (direct_writes.length > 0) return { status: "fail", detail: `Request roles can write grant tables directly, bypassing the manager rules: ${direct_writes.join(", ")}.` };
  if (policies < 8) return { status: "fail", detail: `Only ${policies} of the 8 project-grant policies on projects, documents and videos are in place.` };
  return {
    status: "pass",
    detail: `Expired grants still effective: none. ${live} live grant(s), ${expired} expired, ${guests} guest(s), ${links} usable invite link(s); grant writes go only through the rule-checking functions.`,
  };
}
