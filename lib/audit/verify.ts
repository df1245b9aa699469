import "server-only";
import type { Queryable } from "@/lib/db";
import { findChainBreak, type ChainBreak, type ChainHead, type StoredAuditRow } from "./chain";

/**
 * AUD-2: verifies every org's chain (or one org's) as the owner, or in an owner transaction; returns the first
 * break of each org.
 */
export async function verifyAuditChains(db: Pick<Queryable, "query">, orgId?: string): Promise<{ orgs: number; entries: number; breaks: ChainBreak[] }> {
  const rows = await db.query<StoredAuditRow>(
    // The time as text with microseconds: a Date would drop them, and with them a tampered sub-millisecond digit.
    `select id, org_id, seq, actor_type, actor_id, action, target_type, target_id, ip, user_agent, request_id, changes, act_sub,
            to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at, prev_hash, hash
       from public.audit_logs
      where $1::text is null or org_id = $1
      order by org_id, seq, id`,
    [orgId ?? null],
  );
  const heads = await db.query<ChainHead>("select org_id, seq, hash from private.audit_heads where $1::text is null or org_id = $1", [orgId ?? null]);
  const byOrg = new Map<string, StoredAuditRow[]>(heads.map((h) => [h.org_id, []]));
  for (const row of rows) {
    const list = byOrg.get(row.org_id) ?? [];
    list.push(row);
    byOrg.set(row.org_id, list);
  }
  const headOf = new Map(heads.map((h) => [h.org_id, h]));
  const breaks = [...byOrg.entries()]
    .map(([org, list]) => findChainBreak(list, headOf.get(org)))
    .filter((b): b is ChainBreak => b !== null);
  return { orgs: byOrg.size, entries: rows.length, breaks };
}
