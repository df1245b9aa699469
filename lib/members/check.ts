import "server-only";
import { ownerDb, type Queryable } from "@/lib/db";
import type { CheckResult } from "@/lib/controls/live-checks";

/**
 * TEN-3 live check (as the tables' owner, counts only): the last-owner trigger is in place and enabled, and no request
 * role can write memberships or invites directly (every write goes through the rule-checking functions). Then, as
 * information: organisations with members but no owner (possible only for orgs created without one, e.g. provisioned
 * from a member's token before any owner signed in: the trigger keeps an owner once there is one) and invites past
 * their expiry that nobody redeemed.
 */
export async function checkMemberships(db?: Queryable): Promise<CheckResult> {
  const tx = db ?? (await ownerDb());
  const [facts] = await tx.query<{ trigger_enabled: boolean | null; direct_writes: string[]; ownerless: number; stale_invites: number }>(
    `select (select t.tgenabled <> 'D' from pg_catalog.pg_trigger t
               where t.tgrelid = 'public.memberships'::regclass and t.tgname = 'memberships_keep_one_owner'
                 and t.tgfoid = 'private.keep_one_owner()'::regprocedure) as trigger_enabled,
            array(select distinct g.grantee::text || ' ' || lower(g.privilege_type) || ' ' || g.table_name::text
                    from (select grantee, privilege_type, table_schema, table_name from information_schema.role_table_grants
                          union all
                          select grantee, privilege_type, table_schema, table_name from information_schema.role_column_grants) g
                   where g.table_schema = 'public' and g.table_name in ('memberships', 'org_invites', 'membership_versions')
                     and g.grantee in ('authenticated', 'anon', 'PUBLIC', 'app_runtime')
                     and g.privilege_type in ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
                   order by 1) as direct_writes,
            (select count(*)::int from public.organizations o
              where exists (select 1 from public.memberships m where m.org_id = o.id)
                and not exists (select 1 from public.memberships m where m.org_id = o.id and m.role = 'owner')) as ownerless,
            (select count(*)::int from public.org_invites i
              where i.expires_at <= now() and i.redeemed_at is null and i.revoked_at is null) as stale_invites`,
  );
  const { trigger_enabled, direct_writes = [], ownerless = 0, stale_invites = 0 } = facts ?? {};
  if (!trigger_enabled) return { status: "fail", detail: "The last-owner trigger on public.memberships is missing or disabled: an organisation could lose its last owner." };
  if (direct_writes.length > 0) return { status: "fail", detail: `Request roles can write membership tables directly, bypassing the role rules: ${direct_writes.join(", ")}.` };
  const invites = `${stale_invites} invite(s) past their expiry were never redeemed (they no longer work).`;
  if (ownerless > 0) return { status: "warn", detail: `${ownerless} organisation(s) have members but no owner. ${invites}` };
  return { status: "pass", detail: `The last-owner trigger is enabled, membership writes go only through the rule-checking functions, and every organisation with members has an owner. ${invites}` };
}
