import { createHash } from "node:crypto";

/**
 * AUD-2: the hash chain's rules, shared by the writer and the verifier so both always agree.
 *
 * An entry's hash is SHA-256 over `<prev_hash>\n<canonical JSON of the record>`, lowercase hex. The record holds
 * every column of public.audit_logs except `id` (an identity the database assigns; order is `seq`) and `prev_hash`
 * / `hash` themselves (`prev_hash` is the first line of the hashed text): org, seq, actor type and id, action,
 * target type and id, IP, user agent, request id, changes and time. Absent values are JSON null, `changes` is
 * canonical JSON too, and the time is ISO 8601 in UTC with milliseconds (what the writer stores), so a stored
 * time with any finer digit was not written by it. tests/unit/audit-chain.test.ts pins a known answer.
 * `act_sub` (TEN-8: the operator behind a support session's entry) is part of the record only when set: an entry
 * without one hashes exactly as entries did before the column existed.
 */
export const GENESIS_HASH = "0".repeat(64);

export interface AuditRecord {
  org_id: string;
  seq: number;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  changes: unknown;
  created_at: string; // ISO 8601, millisecond precision
  act_sub?: string;
}

/** Canonical JSON: object keys sorted at every depth, no whitespace, so the same entry always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export function entryHash(prevHash: string, record: AuditRecord): string {
  return createHash("sha256").update(`${prevHash}\n${canonicalJson(record)}`).digest("hex");
}

/**
 * The hashed form of a stored time, or null when it cannot be one the writer stored: the verifier reads times as
 * text with microseconds (verify.ts), and a time the writer stored has none beyond the millisecond.
 */
function canonicalTime(value: Date | string): string | null {
  if (typeof value === "string") {
    const fraction = /\.(\d+)(?:Z|[+-]\d{2}(?::?\d{2})?)$/.exec(value)?.[1] ?? "";
    if (/[^0]/.test(fraction.slice(3))) return null;
  }
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? null : time.toISOString();
}

export interface StoredAuditRow extends Omit<AuditRecord, "created_at" | "act_sub"> {
  act_sub?: string | null;
  id: number;
  /** A Date, or ISO 8601 text (with microseconds, as verify.ts reads it). */
  created_at: Date | string;
  prev_hash: string;
  hash: string;
}

export interface ChainBreak {
  orgId: string;
  id: number;
  seq: number;
  reason: "sequence-gap" | "previous-hash-mismatch" | "hash-mismatch" | "missing-tail" | "checkpoint-mismatch" | "checkpoint-signature-invalid";
}

/** The anchored head of an org's chain (private.audit_heads), maintained by a trigger on every append. */
export interface ChainHead {
  org_id: string;
  seq: number;
  hash: string;
}

/** A (seq, hash) point of a chain that a signature vouches for (AUD-5). */
export interface ChainAnchor {
  seq: number;
  hash: string;
}

export interface ChainBreakOptions {
  /**
   * AUD-4 / AUD-5: where the stored chain starts when older entries were removed by retention: the signed
   * checkpoint at the cut. The first row must then be its seq + 1 and link to its hash.
   */
  start?: ChainAnchor;
  /** AUD-5: the latest signed checkpoint: the entry at its seq must exist and carry its hash. */
  checkpoint?: ChainAnchor;
}

/**
 * Walks one org's rows in seq order; returns the first entry that was modified, removed or reordered.
 * With the anchored head, entries removed from the end are found too ("missing-tail", at the head's seq).
 * With a signed checkpoint (options.checkpoint), a chain rewritten together with its head, cut below the checkpoint
 * or reordered is found too ("checkpoint-mismatch", at the checkpoint's seq): only the signing key could vouch
 * for another hash there.
 */
export function findChainBreak(rows: StoredAuditRow[], head?: ChainHead, options: ChainBreakOptions = {}): ChainBreak | null {
  if (options.start && options.checkpoint && options.checkpoint.seq === options.start.seq && options.checkpoint.hash !== options.start.hash) {
    return { orgId: rows[0]?.org_id ?? head?.org_id ?? "", id: 0, seq: options.start.seq, reason: "checkpoint-mismatch" };
  }
  let prevHash = options.start?.hash ?? GENESIS_HASH;
  let expectedSeq = (options.start?.seq ?? 0) + 1;
  // A checkpoint at or before the start is vouched for by the start itself (the cut's own signature).
  const checkpoint = options.checkpoint && !(options.start && options.checkpoint.seq <= options.start.seq) ? options.checkpoint : undefined;
  let checkpointSeen = false;
  for (const row of rows) {
    const at = { orgId: row.org_id, id: row.id, seq: row.seq };
    if (row.seq !== expectedSeq) return { ...at, reason: "sequence-gap" };
    if (row.prev_hash !== prevHash) return { ...at, reason: "previous-hash-mismatch" };
    const { id: _id, prev_hash: _p, hash, created_at, act_sub, ...rest } = row;
    const time = canonicalTime(created_at);
    if (time === null || entryHash(prevHash, { ...rest, created_at: time, ...(act_sub == null ? {} : { act_sub }) }) !== hash) return { ...at, reason: "hash-mismatch" };
    if (checkpoint && row.seq === checkpoint.seq) {
      if (hash !== checkpoint.hash) return { ...at, reason: "checkpoint-mismatch" };
      checkpointSeen = true;
    }
    prevHash = hash;
    expectedSeq += 1;
  }
  if (checkpoint && !checkpointSeen) {
    return { orgId: rows[0]?.org_id ?? head?.org_id ?? "", id: rows.at(-1)?.id ?? 0, seq: checkpoint.seq, reason: "checkpoint-mismatch" };
  }
  if (head && (expectedSeq - 1 !== head.seq || prevHash !== head.hash)) {
    return { orgId: head.org_id, id: rows.at(-1)?.id ?? 0, seq: head.seq, reason: "missing-tail" };
  }
  return null;
}
