import "server-only";
import { ownerDb, type Queryable } from "@/lib/db";
import { env } from "@/lib/env";
import type { CheckResult } from "../live-checks";

/** A key nobody has used for this long is a key nobody will miss: revoke it (KEY-2). */
export const UNUSED_KEY_DAYS = 90;

export interface OrgCheckOptions {
  /** One org (the Security Center's view); every org when absent (`npm run controls:check`). */
  orgId?: string;
  /** A transaction to run in (tests plant rows in a rolled-back owner transaction); the owner's pool otherwise. */
  db?: Queryable;
}

async function asOwner<T>(fn: (tx: Queryable) => Promise<T>, db?: Queryable): Promise<T> {
  return db ? fn(db) : (await ownerDb()).transaction(fn);
}

const scopeOf = (orgId?: string) => (orgId ? "this organisation" : "any organisation");

/**
 * KEY-2: live keys (not revoked, not expired) that never expire, or that nobody has used for 90 days (or, never used,
 * created more than 90 days ago). Either is a warning: the key still works, and a forgotten key is a leak waiting to
 * be found. Counts and prefixes only (the prefix is not secret, KEY-1).
 */
export async function checkApiKeyHygiene(options: OrgCheckOptions = {}): Promise<CheckResult> {
  const [row] = await asOwner(
    (tx) =>
      tx.query<{ live: number; no_expiry: number; unused: number; sample: string[] | null }>(
        `with live as (
           select prefix, expires_at, coalesce(last_used_at, created_at) as last_seen
             from public.api_keys
            where revoked_at is null and (expires_at is null or expires_at > now())
              and ($1::text is null or org_id = $1)
         )
         select count(*)::int as live,
                count(*) filter (where expires_at is null)::int as no_expiry,
                count(*) filter (where last_seen < now() - make_interval(days => $2))::int as unused,
                (array_agg(prefix order by prefix) filter (where expires_at is null or last_seen < now() - make_interval(days => $2)))[1:5] as sample
           from live`,
        [options.orgId ?? null, UNUSED_KEY_DAYS],
      ),
    options.db,
  );
  const live = row?.live ?? 0;
  const noExpiry = row?.no_expiry ?? 0;
  const unused = row?.unused ?? 0;
  if (noExpiry === 0 && unused === 0) {
    return { status: "pass", detail: `${live} live API key(s) in ${scopeOf(options.orgId)}: every one has an expiry date and was used in the last ${UNUSED_KEY_DAYS} days.` };
  }
  const parts = [noExpiry > 0 ? `${noExpiry} never expire` : null, unused > 0 ? `${unused} not used for ${UNUSED_KEY_DAYS} days or more` : null].filter(Boolean);
  return {
    status: "warn",
    detail: `Of ${live} live API key(s) in ${scopeOf(options.orgId)}, ${parts.join(" and ")} (${(row?.sample ?? []).join(", ")}). Give keys an expiry and revoke the ones nobody uses.`,
  };
}

/**
 * IDN-5: whether this organisation requires two-step verification, and which of its owners and admins have no second
 * factor enrolled (TOTP or passkey). Not required is a warning (sensitive operations then need only a password); an
 * owner or admin without a factor while it is required is a warning too (they are refused every sensitive action).
 * With Clerk as the identity provider the factors live in Clerk: only the requirement is reported.
 */
export async function checkOrgSecondFactor(options: OrgCheckOptions = {}): Promise<CheckResult> {
  const [row] = await asOwner(
    (tx) =>
      tx.query<{ orgs: number; not_required: number; admins: number; without_factor: number }>(
        `select count(distinct o.id)::int as orgs,
                count(distinct o.id) filter (where not o.require_second_factor)::int as not_required,
                count(m.user_id)::int as admins,
                count(m.user_id) filter (
                  where not exists (select 1 from idp.totp_factors t where t.user_id = m.user_id and t.confirmed_at is not null)
                    and not exists (select 1 from idp.passkeys p where p.user_id = m.user_id))::int as without_factor
           from public.organizations o
           left join public.memberships m on m.org_id = o.id and m.role in ('owner', 'admin')
          where $1::text is null or o.id = $1`,
        [options.orgId ?? null],
      ),
    options.db,
  );
  const orgs = row?.orgs ?? 0;
  if (orgs === 0) return { status: "not_applicable", detail: "No organisation to check." };
  const notRequired = row?.not_required ?? 0;
  const requirement = options.orgId
    ? notRequired > 0
      ? "This organisation does not require two-step verification: sensitive operations need only a signed-in session."
      : "This organisation requires two-step verification for sensitive operations."
    : `${orgs - notRequired} of ${orgs} organisation(s) require two-step verification.`;
  if (env.identityProvider === "clerk") return { status: notRequired > 0 ? "warn" : "pass", detail: `${requirement} Second factors are enrolled in Clerk and not counted here.` };
  const without = row?.without_factor ?? 0;
  const factors = `${without} of ${row?.admins ?? 0} owner(s) and admin(s) have no second factor enrolled.`;
  if (notRequired > 0 || without > 0) return { status: "warn", detail: `${requirement} ${factors}` };
  return { status: "pass", detail: `${requirement} Every owner and admin has a second factor enrolled.` };
}
