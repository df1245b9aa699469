import "server-only";
import type { Queryable } from "@/lib/db";
import type { StoredAuditRow } from "./chain";
import { checkpointInTransaction, storedCheckpointAt } from "./checkpoints";
import { EXPORT_FORMAT, type AuditExport } from "./offline";
import { VERIFY_COLUMNS } from "./verify";

export interface ExportRange {
  /** ISO 8601 bounds of created_at (inclusive); absent = the chain's start / its end. */
  from?: string | null;
  to?: string | null;
}

/**
 * AUD-5: the JSON export of an org's log, in an admin's tenant transaction: a checkpoint of the current head is signed
 * first (so every exported entry is covered), then the contiguous entries from the first one in the range through
 * the later of the range's last entry and the checkpoint, with the retention cut's checkpoint when the chain starts
 * after seq 1. The run is contiguous so that it verifies offline up to the signature (lib/audit/offline.ts).
 */
export async function buildAuditExport(tx: Queryable, orgId: string, range: ExportRange = {}, filter: Record<string, string | null> = {}, matched: number[] = []): Promise<AuditExport> {
  const checkpoint = await checkpointInTransaction(tx, orgId);
  const [bounds] = await tx.query<{ first: number | null; last: number | null; oldest: number | null }>(
    `select min(seq) filter (where $2::timestamptz is null or created_at >= $2) as first,
            max(seq) filter (where $3::timestamptz is null or created_at <= $3) as last,
            min(seq) as oldest
       from public.audit_logs where org_id = $1`,
    [orgId, range.from ?? null, range.to ?? null],
  );
  const first = bounds?.first === null || bounds?.first === undefined ? null : Number(bounds.first);
  const last = Math.max(Number(bounds?.last ?? 0), checkpoint?.seq ?? 0);
  const entries =
    first === null
      ? []
      : await tx.query<StoredAuditRow>(`select ${VERIFY_COLUMNS} from public.audit_logs where org_id = $1 and seq between $2 and $3 order by seq`, [orgId, first, last]);
  const oldest = bounds?.oldest === null || bounds?.oldest === undefined ? null : Number(bounds.oldest);
  const start = first !== null && oldest !== null && first === oldest && first > 1 ? await storedCheckpointAt(tx, orgId, first - 1) : null;
  return {
    format: EXPORT_FORMAT,
    org_id: orgId,
    exported_at: new Date().toISOString(),
    filter: { from: range.from ?? null, to: range.to ?? null, ...filter },
    matched,
    start,
    checkpoint,
    entries: entries.map((e) => ({ ...e, seq: Number(e.seq), id: Number(e.id) })),
  };
}
