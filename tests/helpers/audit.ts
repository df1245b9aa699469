import { expect } from "vitest";
import { ownerDb } from "@/lib/db";
import { entryHash, GENESIS_HASH, type StoredAuditRow } from "@/lib/audit/chain";
import { VERIFY_COLUMNS } from "@/lib/audit/verify";
import { createProject, renameProject } from "@/lib/projects";
import { orgWithMembers, request } from "./tenants";

/** An org with a few audited changes (five entries). */
export async function orgWithHistory(name: string) {
  const org = await orgWithMembers(name);
  const a = await createProject(org.member, { name: "Alpha" }, request());
  const b = await createProject(org.admin, { name: "Beta" }, request());
  if (!a.ok || !b.ok) throw new Error("setup failed");
  for (const n of ["Alpha 2", "Alpha 3", "Alpha 4"]) expect(await renameProject(org.member, { id: a.data.id, name: n }, request())).toMatchObject({ ok: true });
  return org;
}

export async function rowsOf(orgId: string): Promise<StoredAuditRow[]> {
  return (await ownerDb()).query<StoredAuditRow>(`select ${VERIFY_COLUMNS} from public.audit_logs where org_id = $1 order by seq`, [orgId]);
}

/**
 * What whoever holds the owner role can do: rewrite the org's chain into a fully consistent one (every prev_hash and
 * hash recomputed) and move the anchored head along, all with the append-only triggers off.
 */
export async function rewriteChain(orgId: string, rewrite: (rows: StoredAuditRow[]) => StoredAuditRow[], extra: [string, unknown[]][] = []) {
  const original = await rowsOf(orgId);
  const kept = rewrite(original.map((r) => ({ ...r })));
  let prev = GENESIS_HASH;
  const rehashed = kept.map((row, i) => {
    const { id: _id, prev_hash: _p, hash: _h, act_sub, ...rest } = row;
    // act_sub (TEN-8) is part of the hashed record only when set, as in lib/audit/chain.ts.
    const record = { ...rest, seq: i + 1, created_at: new Date(row.created_at).toISOString(), ...(act_sub == null ? {} : { act_sub }) };
    const hash = entryHash(prev, record);
    const out = { ...row, seq: i + 1, created_at: record.created_at, prev_hash: prev, hash };
    prev = hash;
    return out;
  });
  await (await ownerDb()).transaction(async (tx) => {
    await tx.query("alter table public.audit_logs disable trigger audit_logs_append_only");
    await tx.query("delete from public.audit_logs where org_id = $1", [orgId]);
    for (const r of rehashed) {
      await tx.query(
        `insert into public.audit_logs (org_id, seq, actor_type, actor_id, action, target_type, target_id, ip, user_agent, request_id, changes, created_at, prev_hash, hash, act_sub)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, $15)`,
        [r.org_id, r.seq, r.actor_type, r.actor_id, r.action, r.target_type, r.target_id, r.ip, r.user_agent, r.request_id, JSON.stringify(r.changes), r.created_at, r.prev_hash, r.hash, r.act_sub ?? null],
      );
    }
    await tx.query("update private.audit_heads set seq = $2, hash = $3 where org_id = $1", [orgId, rehashed.length, prev]);
    for (const [sql, params] of extra) await tx.query(sql, params);
    await tx.query("alter table public.audit_logs enable trigger audit_logs_append_only");
  });
}

