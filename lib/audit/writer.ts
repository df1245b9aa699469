import "server-only";
import type { Queryable } from "@/lib/db";
import { GENESIS_HASH, entryHash, type AuditRecord } from "./chain";
import { raiseSecurityAlert } from "./alerts";
import { isSecurityEvent } from "./events";

export type ActorType = "user" | "api_key" | "system" | "webhook" | "anonymous";

export interface AuditEntry {
  orgId: string;
  actorType: ActorType;
  actorId: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  changes?: Record<string, unknown>;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

/**
 * AUD-1 / AUD-2: the one audit writer. Runs inside the caller's tenant transaction, so the effect and its
 * record commit or roll back together. The chain head is read under a per-org lock: appends stay linear.
 */
export async function appendAudit(tx: Queryable, entry: AuditEntry): Promise<{ seq: number; hash: string }> {
  // TEN-8: in a support session the transaction's verified claims carry Clerk's actor claim; every entry written in
  // it names that operator (act_sub), whoever the caller is (a restrictive policy refuses an entry that does not).
  const [head] = await tx.query<{ seq: number | null; hash: string | null; act_sub: string | null }>(
    `select h.seq, h.hash, nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'act' ->> 'sub' as act_sub
       from (select 1) one left join private.audit_chain_head($1) h on true`,
    [entry.orgId],
  );
  const prevHash = head?.hash ?? GENESIS_HASH;
  const record: AuditRecord = {
    org_id: entry.orgId,
    seq: Number(head?.seq ?? 0) + 1,
    actor_type: entry.actorType,
    actor_id: entry.actorId,
    action: entry.action,
    target_type: entry.targetType ?? null,
    target_id: entry.targetId ?? null,
    ip: entry.ip ?? null,
    user_agent: entry.userAgent?.slice(0, 512) ?? null,
    request_id: entry.requestId ?? null,
    changes: entry.changes ?? {},
    created_at: new Date().toISOString(),
    ...(head?.act_sub ? { act_sub: head.act_sub } : {}),
  };
  const hash = entryHash(prevHash, record);
  await tx.query(
    `insert into public.audit_logs
       (org_id, seq, actor_type, actor_id, action, target_type, target_id, ip, user_agent, request_id, changes, created_at, prev_hash, hash, act_sub)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, $15)`,
    [
      record.org_id, record.seq, record.actor_type, record.actor_id, record.action, record.target_type, record.target_id,
      record.ip, record.user_agent, record.request_id, JSON.stringify(record.changes), record.created_at, prevHash, hash,
      record.act_sub ?? null,
    ],
  );
  // AUD-5: a security event of the taxonomy is counted, and alerted when high or critical.
  if (isSecurityEvent(record.action)) raiseSecurityAlert(record.action, { orgId: record.org_id, requestId: record.request_id, subject: record.ip });
  return { seq: record.seq, hash };
}
