import "server-only";
import { readdir } from "node:fs/promises";
import path from "node:path";
import type { KeyObject } from "node:crypto";
import type { Queryable } from "@/lib/db";
import { env } from "@/lib/env";
import { findChainBreak, type ChainBreak, type ChainHead, type StoredAuditRow } from "./chain";
import { auditPublicKeys, CHECKPOINT_COLUMNS, checkpointFromRow, latestSinkCheckpoint } from "./checkpoints";
import { checkpointSignatureValid, type SignedCheckpoint } from "./signing";

export interface VerifyOptions {
  /** AUD-5: the public keys checkpoints must be signed with (default: this deployment's signing key). */
  publicKeys?: ReadonlyMap<string, KeyObject>;
  /** AUD-5: the external checkpoint sink (default AUDIT_CHECKPOINT_DIR); null to use the database's copies only. */
  sinkRoot?: string | null;
}

/** The columns verification reads: the time as text with microseconds (a Date would drop a tampered digit). */
export const VERIFY_COLUMNS = `id, org_id, seq, actor_type, actor_id, action, target_type, target_id, ip, user_agent, request_id, changes, act_sub,
            to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at, prev_hash, hash`;

async function sinkOrgs(root: string): Promise<string[]> {
  try {
    return (await readdir(path.resolve(root))).filter((n) => /^org_[A-Za-z0-9]{1,64}$/.test(n));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/**
 * AUD-2 / AUD-5: verifies every org's chain (or one org's) as the owner, or in an owner transaction; returns the
 * first break of each org. Each chain is checked against its anchored head and against its latest signed checkpoint,
 * the later of the database's copy and the external sink's: a checkpoint whose signature fails is itself a break,
 * and the entry at a valid checkpoint's seq must carry its hash. A chain whose oldest entries were removed by
 * retention starts at the signed checkpoint of that cut.
 */
export async function verifyAuditChains(
  db: Pick<Queryable, "query">,
  orgId?: string,
  options: VerifyOptions = {},
): Promise<{ orgs: number; entries: number; breaks: ChainBreak[] }> {
  const publicKeys = options.publicKeys ?? auditPublicKeys();
  const sinkRoot = options.sinkRoot === undefined ? env.AUDIT_CHECKPOINT_DIR : options.sinkRoot;
  const org = orgId ?? null;
  const rows = await db.query<StoredAuditRow>(
    `select ${VERIFY_COLUMNS} from public.audit_logs where $1::text is null or org_id = $1 order by org_id, seq, id`,
    [org],
  );
  const heads = await db.query<ChainHead>("select org_id, seq, hash from private.audit_heads where $1::text is null or org_id = $1", [org]);
  // Every org's latest stored checkpoint, and the checkpoint just before each org's first stored entry (a cut).
  const latest = await db.query<Parameters<typeof checkpointFromRow>[0]>(
    `select distinct on (org_id) ${CHECKPOINT_COLUMNS} from public.audit_checkpoints where $1::text is null or org_id = $1 order by org_id, seq desc, purpose`,
    [org],
  );
  const cuts = await db.query<Parameters<typeof checkpointFromRow>[0]>(
    `select ${CHECKPOINT_COLUMNS} from public.audit_checkpoints c
      where ($1::text is null or c.org_id = $1)
        and c.purpose = 'retention-cut'
        and c.seq = (select min(l.seq) - 1 from public.audit_logs l where l.org_id = c.org_id)`,
    [org],
  );
  const byOrg = new Map<string, StoredAuditRow[]>(heads.map((h) => [h.org_id, []]));
  for (const c of latest) byOrg.set(c.org_id, []);
  if (sinkRoot) {
    // The sink's orgs that this database knows (an org whose every row and head was removed is still an org).
    const known = org ? null : new Set((await db.query<{ id: string }>("select id from public.organizations")).map((o) => o.id));
    for (const o of org ? [org] : await sinkOrgs(sinkRoot)) {
      if ((org || known!.has(o) || byOrg.has(o)) && (await latestSinkCheckpoint(o, sinkRoot)) !== null) byOrg.set(o, []);
    }
  }
  for (const row of rows) {
    const list = byOrg.get(row.org_id) ?? [];
    list.push(row);
    byOrg.set(row.org_id, list);
  }
  const headOf = new Map(heads.map((h) => [h.org_id, h]));
  const latestOf = new Map(latest.map((c) => [c.org_id, checkpointFromRow(c)]));
  const cutOf = new Map(cuts.map((c) => [c.org_id, checkpointFromRow(c)]));
  const breaks: ChainBreak[] = [];
  for (const [orgKey, list] of byOrg) {
    const candidates = [latestOf.get(orgKey), sinkRoot ? await latestSinkCheckpoint(orgKey, sinkRoot) : null].filter((c): c is SignedCheckpoint => !!c && c.org_id === orgKey);
    const forged = candidates.find((c) => !checkpointSignatureValid(c, publicKeys));
    if (forged) {
      breaks.push({ orgId: orgKey, id: 0, seq: forged.seq, reason: "checkpoint-signature-invalid" });
      continue;
    }
    const checkpoint = candidates.sort((a, b) => b.seq - a.seq)[0];
    const cut = cutOf.get(orgKey);
    if (cut && !checkpointSignatureValid(cut, publicKeys)) {
      breaks.push({ orgId: orgKey, id: 0, seq: cut.seq, reason: "checkpoint-signature-invalid" });
      continue;
    }
    const found = findChainBreak(list, headOf.get(orgKey), { start: cut, checkpoint });
    if (found) breaks.push(found);
  }
  return { orgs: byOrg.size, entries: rows.length, breaks };
}
