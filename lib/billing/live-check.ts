import "server-only";
import { ownerDb, type Queryable } from "@/lib/db";
import type { CheckResult } from "@/lib/controls/live-checks";

interface Finding {
  org_id: string;
  resource: string;
  counted: number;
  used: number;
  limit: number;
  plan: string;
}

/**
 * BIL-1 live check, as the tables' owner (one org's, or every org's): its counters equal the rows they count (a difference means a row
 * was written or removed without its counter), and no org holds more than its effective plan allows (a create got
 * past the guard, or the plan was lowered since). Either fails the check, naming org and resource.
 */
export async function checkPlanLimits(options: { orgId?: string; db?: Queryable } = {}): Promise<CheckResult> {
  const run = (tx: Queryable) =>
    tx.query<Finding>(
      `with counted as (
         select o.id as org_id, r.resource,
                case r.resource
                  when 'projects' then (select count(*) from public.projects p where p.org_id = o.id)
                  when 'api_keys' then (select count(*) from public.api_keys k where k.org_id = o.id and k.revoked_at is null)
                  when 'members' then (select count(*) from public.memberships m where m.org_id = o.id)
                end::int as counted
           from public.organizations o
          cross join (values ('projects'), ('api_keys'), ('members')) as r (resource)
          where $1::text is null or o.id = $1
       )
       select c.org_id, c.resource, c.counted, coalesce(e.used, 0)::int as used,
              (case c.resource when 'projects' then l.projects when 'api_keys' then l.api_keys else l.members end)::int as "limit",
              l.plan
         from counted c
         left join public.entitlements e on e.org_id = c.org_id and e.resource = c.resource
         cross join lateral private.plan_limits_of(c.org_id) l
        where c.counted <> coalesce(e.used, 0)
           or c.counted > (case c.resource when 'projects' then l.projects when 'api_keys' then l.api_keys else l.members end)
        order by c.org_id, c.resource
        limit 200`,
      [options.orgId ?? null],
    );
  const findings = options.db ? await run(options.db) : await (await ownerDb()).transaction(run);
  const who = options.orgId ? "The organisation is" : "Every organisation is";
  if (findings.length === 0) return { status: "pass", detail: `${who} within its plan's limits, and every usage counter matches the rows it counts.` };
  const over = findings.filter((f) => f.counted > f.limit);
  const drift = findings.filter((f) => f.counted !== f.used);
  const parts = [
    over.length > 0 && `over their plan's limit: ${over.slice(0, 10).map((f) => `${f.org_id} ${f.resource} ${f.counted}/${f.limit} (${f.plan})`).join(", ")}`,
    drift.length > 0 && `counter out of step with the rows: ${drift.slice(0, 10).map((f) => `${f.org_id} ${f.resource} counted ${f.counted}, counter ${f.used}`).join(", ")}`,
  ].filter(Boolean);
  return { status: "fail", detail: `${findings.length} finding(s); ${parts.join("; ")}.` };
}
