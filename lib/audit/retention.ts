import "server-only";
import { z } from "zod";
import { withAuditMaintenance, type Queryable } from "@/lib/db";
import { defineSchedule, type ScheduleResult } from "@/lib/jobs";
import { auditSigningKey, pushCheckpointToSink } from "./checkpoints";
import { signCheckpoint } from "./signing";

/**
 * AUD-4: audit retention. Each org keeps its entries for `retention_days` (365 unless set, 30..3650); under legal
 * hold nothing is removed. Once a day the `audit.retention` task, as the `audit_maintenance` role (which can see and
 * delete only expired, non-held entries, and never the newest one), signs a "retention-cut" checkpoint at each
 * org's cut, stores it and writes it to the sink, and removes the entries up to the cut in the same transaction: the
 * remaining chain starts at that signed cut and still verifies (lib/audit/verify.ts, lib/audit/offline.ts).
 */

export const DEFAULT_RETENTION_DAYS = 365;

export const auditSettingsInput = z.strictObject({
  retentionDays: z.coerce.number().int().min(30, "At least 30 days.").max(3650, "At most 3650 days (10 years)."),
  legalHold: z.boolean(),
});
export type AuditSettings = z.infer<typeof auditSettingsInput>;

/** An org's settings, as an admin of it reads them (defaults when never set). */
export async function auditSettingsOf(tx: Queryable, orgId: string): Promise<AuditSettings> {
  const [row] = await tx.query<{ retention_days: number; legal_hold: boolean }>("select retention_days, legal_hold from public.audit_settings where org_id = $1", [orgId]);
  return { retentionDays: row?.retention_days ?? DEFAULT_RETENTION_DAYS, legalHold: row?.legal_hold ?? false };
}

/** Saves an org's settings in the caller's tenant transaction (RLS: owners and admins); returns the previous ones. */
export async function saveAuditSettings(tx: Queryable, orgId: string, input: AuditSettings): Promise<AuditSettings> {
  const before = await auditSettingsOf(tx, orgId);
  await tx.query(
    `insert into public.audit_settings (org_id, retention_days, legal_hold, updated_at) values ($1, $2, $3, now())
     on conflict (org_id) do update set retention_days = excluded.retention_days, legal_hold = excluded.legal_hold, updated_at = now()`,
    [orgId, input.retentionDays, input.legalHold],
  );
  return before;
}

/** One retention pass over every org (at most `limit` orgs); returns the orgs cut and the entries removed. */
export async function applyAuditRetention(limit = 1000): Promise<{ orgs: number; removed: number }> {
  const cuts = await withAuditMaintenance((tx) =>
    tx.query<{ org_id: string; seq: string | number; hash: string }>("select org_id, seq, hash from private.audit_retention_cuts($1)", [limit]),
  );
  const key = auditSigningKey();
  let removed = 0;
  for (const cut of cuts) {
    const checkpoint = signCheckpoint(key, { org_id: cut.org_id, seq: Number(cut.seq), hash: cut.hash, signed_at: new Date().toISOString(), purpose: "retention-cut" });
    removed += await withAuditMaintenance(async (tx) => {
      await tx.query(
        "insert into public.audit_checkpoints (org_id, seq, hash, signed_at, key_id, signature, purpose) values ($1, $2, $3, $4, $5, $6, 'retention-cut') on conflict (org_id, seq, purpose) do nothing",
        [checkpoint.org_id, checkpoint.seq, checkpoint.hash, checkpoint.signed_at, checkpoint.key_id, checkpoint.signature],
      );
      // Before the delete commits: a cut the sink does not hold is never made (a sink file without its delete is harmless).
      await pushCheckpointToSink(checkpoint);
      const deleted = await tx.query<{ seq: number }>("delete from public.audit_logs where org_id = $1 and seq <= $2 returning seq", [cut.org_id, checkpoint.seq]);
      return deleted.length;
    });
  }
  return { orgs: cuts.length, removed };
}

export const auditRetentionSchedule = defineSchedule({
  name: "audit.retention",
  everyMs: 24 * 60 * 60_000,
  async run(): Promise<ScheduleResult> {
    return applyAuditRetention();
  },
});
