import "server-only";
import { ownerDb, type Queryable } from "@/lib/db";
import type { CheckResult } from "@/lib/controls/live-checks";

/**
 * IDN-5 live check (as the tables' owner, counts only): every table carrying second-factor policies has all three
 * (insert, update, delete) as RESTRICTIVE policies, and no organisation that requires two-step verification has an
 * owner or admin without a second factor enrolled in the embedded provider (they could not do what the rule guards).
 */
export async function checkSecondFactorRule(db?: Queryable): Promise<CheckResult> {
  const tx = db ?? (await ownerDb());
  const [facts] = await tx.query<{ incomplete: string[]; tables: number; orgs: number; admins: number }>(
    `with sf as (
       select c.oid, n.nspname || '.' || c.relname as tbl, p.polcmd, p.polpermissive
         from pg_catalog.pg_policy p join pg_catalog.pg_class c on c.oid = p.polrelid join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where p.polname like '%\\_second\\_factor\\_%' escape '\\'
     )
     select array(select tbl from sf group by tbl
                   having count(*) filter (where not polpermissive and polcmd in ('a', 'w', 'd')) <> 3 order by 1) as incomplete,
            (select count(distinct tbl)::int from sf) as tables,
            (select count(distinct o.id)::int from public.organizations o
               join public.memberships m on m.org_id = o.id and m.role in ('owner', 'admin')
              where o.require_second_factor
                and not exists (select 1 from idp.totp_factors t where t.user_id = m.user_id and t.confirmed_at is not null)) as orgs,
            (select count(*)::int from public.organizations o
               join public.memberships m on m.org_id = o.id and m.role in ('owner', 'admin')
              where o.require_second_factor
                and not exists (select 1 from idp.totp_factors t where t.user_id = m.user_id and t.confirmed_at is not null)) as admins`,
  );
  const { incomplete = [], tables = 0, orgs = 0, admins = 0 } = facts ?? {};
  if (tables === 0) return { status: "fail", detail: "No table carries the second-factor policies: an organisation's two-step verification rule is not enforced in the database." };
  if (incomplete.length > 0) return { status: "fail", detail: `Second-factor policies incomplete (insert, update and delete, restrictive) on: ${incomplete.join(", ")}.` };
  if (orgs > 0) return { status: "warn", detail: `${orgs} organisation(s) require two-step verification and have ${admins} owner(s) or admin(s) without a second factor enrolled. ${tables} table(s) enforce the rule.` };
  return { status: "pass", detail: `${tables} sensitive table(s) enforce the two-step verification rule with restrictive policies; every owner and admin of an organisation that requires it has a second factor.` };
}

/** IDN-6 live check: sessions ended in the last 24 hours because a used refresh token was presented again. */
export async function checkRefreshReuse(db?: Queryable): Promise<CheckResult> {
  const tx = db ?? (await ownerDb());
  const [row] = await tx.query<{ families: number; users: number }>(
    `select count(*)::int as families, count(distinct user_id)::int as users from idp.auth_events
      where kind = 'refresh.reuse_detected' and created_at > now() - interval '24 hours'`,
  );
  const families = row?.families ?? 0;
  if (families > 0) return { status: "warn", detail: `${families} session(s) of ${row!.users} user(s) were revoked in the last 24 hours because a used refresh token was presented again (a stolen token, or a client bug).` };
  return { status: "pass", detail: "No refresh token was reused in the last 24 hours." };
}

/** IDN-5 / RL-1 live check: accounts locked (password or second step) in the last 15 minutes, and failures in the last hour. */
export async function checkSignInLockouts(db?: Queryable): Promise<CheckResult> {
  const tx = db ?? (await ownerDb());
  const [row] = await tx.query<{ locked: number; failures: number }>(
    `select (select count(distinct coalesce(user_id, account_hash))::int from idp.auth_events
              where kind in ('sign_in.locked', 'second_factor.locked') and created_at > now() - interval '15 minutes') as locked,
            (select count(*)::int from idp.auth_events
              where kind in ('sign_in.failed', 'second_factor.failed') and created_at > now() - interval '1 hour') as failures`,
  );
  const locked = row?.locked ?? 0;
  const failures = row?.failures ?? 0;
  if (locked > 0) return { status: "warn", detail: `${locked} account(s) are temporarily locked after too many sign-in attempts (${failures} failed attempt(s) in the last hour). Locks end by themselves.` };
  return { status: "pass", detail: `No account is locked; ${failures} failed sign-in attempt(s) in the last hour.` };
}
