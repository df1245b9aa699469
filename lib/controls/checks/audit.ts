import "server-only";
import { ownerDb } from "@/lib/db";
import { verifyAuditChains } from "@/lib/audit/verify";
import { auditPublicKeys } from "@/lib/audit/checkpoints";
import { checkpointSignatureValid } from "@/lib/audit/signing";
import { env } from "@/lib/env";
import type { CheckResult } from "../live-checks";

/** AUD-2: one org's chain (the Security Center's view) or every org's (`npm run controls:check`), read as the owner. */
export async function checkAuditChain(options: { orgId?: string } = {}): Promise<CheckResult> {
  const result = await verifyAuditChains(await ownerDb(), options.orgId);
  const scope = options.orgId ? `org ${options.orgId}` : `${result.orgs} org(s)`;
  if (result.breaks.length === 0) return { status: "pass", detail: `Audit chain intact: ${scope}, ${result.entries} entries verified.` };
  const first = result.breaks.slice(0, 10).map((b) => `${b.orgId} at seq ${b.seq} (${b.reason})`);
  return { status: "fail", detail: `${result.breaks.length} broken chain(s) in ${scope}: ${first.join("; ")}.` };
}

/**
 * AUD-5: every org whose chain has entries has a signed checkpoint, valid under this deployment's public key, not
 * older than three checkpoint intervals while entries wait beyond it (fail when a signature does not verify).
 */
export async function checkAuditCheckpoints(options: { orgId?: string } = {}): Promise<CheckResult> {
  const db = await ownerDb();
  const rows = await db.query<{ org_id: string; head_seq: number; cp_seq: number | null; age_minutes: number | null; signed_at: string | null; hash: string | null; key_id: string | null; signature: string | null }>(
    `select h.org_id, h.seq as head_seq, c.seq as cp_seq, extract(epoch from now() - c.signed_at)::int / 60 as age_minutes,
            to_char(c.signed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as signed_at, c.hash, c.key_id, c.signature
       from private.audit_heads h
       left join lateral (select * from public.audit_checkpoints c where c.org_id = h.org_id and c.purpose = 'head' order by c.seq desc limit 1) c on true
      where $1::text is null or h.org_id = $1`,
    [options.orgId ?? null],
  );
  const keys = auditPublicKeys();
  const limit = env.AUDIT_CHECKPOINT_INTERVAL_MINUTES * 3;
  const forged = rows.filter(
    (r) => r.cp_seq !== null && !checkpointSignatureValid({ org_id: r.org_id, seq: Number(r.cp_seq), hash: r.hash!, signed_at: r.signed_at!, key_id: r.key_id!, signature: r.signature!, purpose: "head" }, keys),
  );
  if (forged.length > 0) return { status: "fail", detail: `${forged.length} org(s) with a latest checkpoint that does not verify under this deployment's key: ${forged.slice(0, 5).map((r) => r.org_id).join(", ")}.` };
  const stale = rows.filter((r) => Number(r.head_seq) > Number(r.cp_seq ?? 0) && (r.age_minutes === null || r.age_minutes > limit));
  const newest = rows.reduce<number | null>((m, r) => (r.age_minutes === null ? m : m === null ? r.age_minutes : Math.min(m, r.age_minutes)), null);
  const scope = options.orgId ? `org ${options.orgId}` : `${rows.length} org(s)`;
  if (stale.length > 0) return { status: "warn", detail: `${stale.length} of ${scope} have entries not covered by a checkpoint signed in the last ${limit} minutes.` };
  return { status: "pass", detail: `Every chain of ${scope} is covered by a signed checkpoint${newest === null ? "" : ` (latest ${newest} min old)`}.` };
}

/** AUD-4: no entry is kept more than two days past its org's retention (the daily task removes them), unless held. */
export async function checkAuditRetention(): Promise<CheckResult> {
  const [row] = await (await ownerDb()).query<{ overdue: number; orgs: number; held: number }>(
    `select count(*)::int as overdue, count(distinct l.org_id)::int as orgs,
            (select count(*)::int from public.audit_settings where legal_hold) as held
       from public.audit_logs l left join public.audit_settings s on s.org_id = l.org_id
      where not coalesce(s.legal_hold, false)
        and l.created_at < now() - make_interval(days => coalesce(s.retention_days, 365) + 2)
        and l.seq < (select h.seq from private.audit_heads h where h.org_id = l.org_id)`,
  );
  const held = row?.held ? ` ${row.held} org(s) under legal hold.` : "";
  if ((row?.overdue ?? 0) > 0) return { status: "warn", detail: `${row!.overdue} audit entries in ${row!.orgs} org(s) are more than two days past their retention: is the audit.retention task running?${held}` };
  return { status: "pass", detail: `No audit entry is past its retention.${held}` };
}

/** AUD-4: audit writes that failed on record-only paths in the last 24 hours (queued as audit.retry jobs), and any given up. */
export async function checkAuditWriteFailures(): Promise<CheckResult> {
  const [row] = await (await ownerDb()).query<{ failed: number; pending: number; dead: number }>(
    `select count(*)::int as failed,
            count(*) filter (where state in ('pending', 'running'))::int as pending,
            count(*) filter (where state = 'dead')::int as dead
       from public.jobs where kind = 'audit.retry' and created_at > now() - interval '24 hours'`,
  );
  if ((row?.dead ?? 0) > 0) return { status: "fail", detail: `${row!.dead} audit entries could not be written even on retry in the last 24 hours (dead audit.retry jobs).` };
  if ((row?.failed ?? 0) > 0) return { status: "warn", detail: `${row!.failed} audit writes failed in the last 24 hours; ${row!.pending} still queued for retry, the rest written on retry.` };
  return { status: "pass", detail: "No audit write failed in the last 24 hours." };
}
