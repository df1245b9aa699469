import type { KeyObject } from "node:crypto";
import { findChainBreak, type ChainAnchor, type ChainBreak, type StoredAuditRow } from "./chain";
import { checkpointSignatureValid, type SignedCheckpoint } from "./signing";

/**
 * AUD-5: an audit export (JSON) and its offline verification. Free of server-only and database imports: the
 * standalone verifier (`npm run verify:audit -- --file export.json --public-key key.pem`) needs only this file,
 * the chain's rules and a public key.
 *
 * An export holds a contiguous run of one org's entries (seq order, every hashed field, times with microseconds),
 * the signed checkpoint of the chain's head taken when it was exported, and, when the run starts after seq 1, the
 * anchor it starts from (the signed checkpoint of a retention cut, or the first entry's own previous hash). Every
 * entry from the start up to the checkpoint is vouched for by the signature; entries after it are reported as not
 * yet covered.
 */
export const EXPORT_FORMAT = "tenantguard.audit-export.v1";

export interface AuditExport {
  format: typeof EXPORT_FORMAT;
  org_id: string;
  exported_at: string;
  /** The filter the export was made with (informational; `matched` lists the seqs it selected). */
  filter: Record<string, string | null>;
  matched: number[];
  start: SignedCheckpoint | null;
  checkpoint: SignedCheckpoint | null;
  entries: StoredAuditRow[];
}

export type OfflineVerdict =
  | { ok: true; orgId: string; entries: number; firstSeq: number | null; coveredThrough: number; uncovered: number; keyId: string }
  | { ok: false; reason: "malformed" | "no-checkpoint" | "checkpoint-signature-invalid" | "wrong-org"; detail: string }
  | { ok: false; reason: "chain-break"; detail: string; break: ChainBreak };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function malformed(detail: string): OfflineVerdict {
  return { ok: false, reason: "malformed", detail };
}

/** Verifies an export (parsed JSON) against the public keys given, by key id. Never throws. */
export function verifyAuditExport(doc: unknown, publicKeys: ReadonlyMap<string, KeyObject>): OfflineVerdict {
  if (!isObject(doc) || doc.format !== EXPORT_FORMAT) return malformed(`not a ${EXPORT_FORMAT} document`);
  if (typeof doc.org_id !== "string" || !Array.isArray(doc.entries)) return malformed("org_id or entries missing");
  const orgId = doc.org_id;
  const entries = doc.entries as StoredAuditRow[];
  if (!entries.every((e) => isObject(e) && e.org_id === orgId && Number.isSafeInteger(e.seq))) return malformed("an entry is not an entry of this org");
  const checkpoint = doc.checkpoint as SignedCheckpoint | null;
  if (!isObject(checkpoint)) return { ok: false, reason: "no-checkpoint", detail: "the export holds no signed checkpoint" };
  if (checkpoint.org_id !== orgId) return { ok: false, reason: "wrong-org", detail: "the checkpoint names another organisation" };
  if (!checkpointSignatureValid(checkpoint, publicKeys)) {
    return { ok: false, reason: "checkpoint-signature-invalid", detail: `the checkpoint (key ${String(checkpoint.key_id)}) is not signed by the given public key` };
  }
  let start: ChainAnchor | undefined;
  const startCheckpoint = doc.start as SignedCheckpoint | null;
  if (isObject(startCheckpoint)) {
    if (startCheckpoint.org_id !== orgId) return { ok: false, reason: "wrong-org", detail: "the start checkpoint names another organisation" };
    if (startCheckpoint.purpose !== "retention-cut") return malformed("the start checkpoint is not a retention cut");
    if (!checkpointSignatureValid(startCheckpoint, publicKeys)) return { ok: false, reason: "checkpoint-signature-invalid", detail: "the start checkpoint is not signed by the given public key" };
    start = { seq: startCheckpoint.seq, hash: startCheckpoint.hash };
  } else if (entries[0] && entries[0].seq > 1) {
    start = { seq: entries[0].seq - 1, hash: String(entries[0].prev_hash) };
  }
  const found = findChainBreak(entries, undefined, { start, checkpoint: { seq: checkpoint.seq, hash: checkpoint.hash } });
  if (found) return { ok: false, reason: "chain-break", detail: `entry seq ${found.seq}: ${found.reason}`, break: found };
  return {
    ok: true,
    orgId,
    entries: entries.length,
    firstSeq: entries[0]?.seq ?? null,
    coveredThrough: checkpoint.seq,
    uncovered: entries.filter((e) => e.seq > checkpoint.seq).length,
    keyId: checkpoint.key_id,
  };
}
