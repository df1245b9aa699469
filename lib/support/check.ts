import "server-only";
import { ownerDb, type Queryable } from "@/lib/db";
import type { CheckResult } from "@/lib/controls/live-checks";
import { findStandingAccess } from "./standing-access";

// Audit times come from the app's clock, consent times from the database's: allow that much skew between them.
const CLOCK_SKEW = "60 seconds";

/**
 * TEN-8 live check (as the owner): support sessions open now (a live consent whose operator started a session and has
 * not ended it), by org and operator; and support entries in the audit log outside every consent window of that
 * operator in that org (consents used after their expiry or revocation: must be none).
 */
export async function checkSupportSessions(db?: Queryable): Promise<CheckResult> {
  const tx = db ?? (await ownerDb());
  const open = await tx.query<{ org_name: string; operator: string; access_level: string; expires_at: Date }>(
    `select o.name as org_name, coalesce(g.operator_email, g.operator_user_id) as operator, g.access_level, g.expires_at
       from public.support_grants g join public.organizations o on o.id = g.org_id
      where g.revoked_at is null and g.expires_at > now()
        and (select a.action from public.audit_logs a
              where a.org_id = g.org_id and a.act_sub = g.operator_user_id and a.created_at >= g.created_at - interval '${CLOCK_SKEW}'
                and a.action in ('support.session_started', 'support.session_ended')
              order by a.seq desc limit 1) = 'support.session_started'
      order by g.expires_at`,
  );
  const [outside] = await tx.query<{ n: number }>(
    `select count(*)::int as n from public.audit_logs a
      where a.act_sub is not null
        and not exists (select 1 from public.support_grants g
                         where g.org_id = a.org_id and g.operator_user_id = a.act_sub
                           and a.created_at >= g.created_at - interval '${CLOCK_SKEW}'
                           and a.created_at <= least(g.expires_at, coalesce(g.revoked_at, g.expires_at)) + interval '${CLOCK_SKEW}')`,
  );
  const sessions = open.length
    ? `${open.length} support session(s) open: ${open.map((s) => `${s.operator} in ${s.org_name} (${s.access_level === "write" ? "read-write" : "read-only"}, until ${new Date(s.expires_at).toISOString()})`).join("; ")}.`
    : "No support session is open.";
  if ((outside?.n ?? 0) > 0) return { status: "fail", detail: `${outside!.n} support action(s) in the audit log fall outside every consent window of their operator (a consent used after its expiry or revocation). ${sessions}` };
  return { status: open.length ? "warn" : "pass", detail: `Every support action in the audit log lies inside a live consent of its operator. ${sessions}` };
}

/** TEN-8 live check: nothing gives anyone standing access to every org (lib/support/standing-access.ts). */
export async function checkStandingAccess(db?: Queryable): Promise<CheckResult> {
  const problems = await findStandingAccess(db ?? (await ownerDb()));
  if (problems.length === 0) return { status: "pass", detail: "Every tenant table has the restrictive support policies, no policy admits a request role unconditionally or reads the operator list, and no role that bypasses row-level security is reachable from a request role." };
  return { status: "fail", detail: `${problems.length} standing-access problem(s): ${problems.map((p) => `${p.object} (${p.detail})`).join("; ")}.` };
}
