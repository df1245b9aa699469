import "server-only";
import { link, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { randomBytes, type KeyObject } from "node:crypto";
import { withTenant, type Queryable } from "@/lib/db";
import type { VerifiedClaims } from "@/lib/auth/claims";
import { env } from "@/lib/env";
import { logger } from "@/lib/observability/logger";
import { raiseSecurityAlert } from "./alerts";
import { SECURITY_EVENT } from "./events";
import { developmentSigningKey, parseSigningKey, signCheckpoint, type SignedCheckpoint, type SigningKey, verificationKeys } from "./signing";

/**
 * AUD-5: signed checkpoints of each org's chain head. The app signs (AUDIT_SIGNING_KEY, never in the database),
 * the database stores (public.audit_checkpoints), and every checkpoint is also written to an external sink
 * (AUDIT_CHECKPOINT_DIR: one JSON file per checkpoint, `<org>/<seq padded>.json`, never overwritten), which is what a
 * verifier trusts when the database's own copy may have been rewritten by its owner.
 */

const holder = globalThis as typeof globalThis & { __tenantguardAuditKey?: SigningKey };

/** The signing key: AUDIT_SIGNING_KEY, or the development key outside production (and in a declared demo). */
export function auditSigningKey(): SigningKey {
  if (holder.__tenantguardAuditKey) return holder.__tenantguardAuditKey;
  if (env.AUDIT_SIGNING_KEY) return (holder.__tenantguardAuditKey = parseSigningKey(env.AUDIT_SIGNING_KEY));
  if (env.NODE_ENV === "production" && !env.ALLOW_EMBEDDED_IN_PRODUCTION) throw new Error("AUD-5: AUDIT_SIGNING_KEY is required in production.");
  return (holder.__tenantguardAuditKey = developmentSigningKey());
}

/** The public keys a verifier in this deployment accepts, by key id: the current signing key's and the retired ones. */
export function auditPublicKeys(): Map<string, KeyObject> {
  return verificationKeys(auditSigningKey(), env.AUDIT_RETIRED_PUBLIC_KEYS);
}

const ORG = /^org_[A-Za-z0-9]{1,64}$/;

function sinkPath(checkpoint: Pick<SignedCheckpoint, "org_id" | "seq" | "purpose">, root = env.AUDIT_CHECKPOINT_DIR): string {
  if (!ORG.test(checkpoint.org_id)) throw new Error("checkpoint sink: not an organisation id");
  const suffix = checkpoint.purpose === "retention-cut" ? ".cut.json" : ".json";
  return path.join(path.resolve(root), checkpoint.org_id, `${String(checkpoint.seq).padStart(12, "0")}${suffix}`);
}

/** Writes a checkpoint to the external sink once (an existing file for that seq is left as it is). */
export async function pushCheckpointToSink(checkpoint: SignedCheckpoint, root = env.AUDIT_CHECKPOINT_DIR): Promise<void> {
  const file = sinkPath(checkpoint, root);
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temporary, `${JSON.stringify(checkpoint)}\n`, { mode: 0o644 });
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

/** The latest checkpoint of an org in the external sink, or null when it holds none. */
export async function latestSinkCheckpoint(orgId: string, root = env.AUDIT_CHECKPOINT_DIR): Promise<SignedCheckpoint | null> {
  if (!ORG.test(orgId)) return null;
  const dir = path.join(path.resolve(root), orgId);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /^\d{12}\.json$/.test(n)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const last = names.at(-1);
  return last ? (JSON.parse(await readFile(path.join(dir, last), "utf8")) as SignedCheckpoint) : null;
}

interface CheckpointRow {
  org_id: string;
  seq: string | number;
  hash: string;
  signed_at: string;
  purpose: string;
  key_id: string;
  signature: string;
}

export const CHECKPOINT_COLUMNS = `org_id, seq, hash, to_char(signed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as signed_at, purpose, key_id, signature`;

export function checkpointFromRow(row: CheckpointRow): SignedCheckpoint {
  return { org_id: row.org_id, seq: Number(row.seq), hash: row.hash, signed_at: row.signed_at, purpose: row.purpose === "retention-cut" ? "retention-cut" : "head", key_id: row.key_id, signature: row.signature };
}

/** The latest checkpoint the database holds for an org (as its owner, or an admin of the org under RLS). */
export async function latestStoredCheckpoint(db: Pick<Queryable, "query">, orgId: string, atOrBelowSeq?: number): Promise<SignedCheckpoint | null> {
  const [row] = await db.query<CheckpointRow>(
    `select ${CHECKPOINT_COLUMNS} from public.audit_checkpoints where org_id = $1 and ($2::bigint is null or seq <= $2) order by seq desc, purpose limit 1`,
    [orgId, atOrBelowSeq ?? null],
  );
  return row ? checkpointFromRow(row) : null;
}

/** The checkpoint at exactly one seq (a retention cut), if stored. */
export async function storedCheckpointAt(db: Pick<Queryable, "query">, orgId: string, seq: number): Promise<SignedCheckpoint | null> {
  const [row] = await db.query<CheckpointRow>(`select ${CHECKPOINT_COLUMNS} from public.audit_checkpoints where org_id = $1 and seq = $2 and purpose = 'retention-cut'`, [orgId, seq]);
  return row ? checkpointFromRow(row) : null;
}

const nowMs = () => new Date(Math.floor(Date.now())).toISOString();

async function storeAndPush(checkpoint: SignedCheckpoint, insert: () => Promise<unknown>): Promise<void> {
  await insert();
  try {
    await pushCheckpointToSink(checkpoint);
  } catch (error) {
    raiseSecurityAlert(SECURITY_EVENT.auditCheckpointFailed, { orgId: checkpoint.org_id, details: { seq: checkpoint.seq, stage: "sink" } });
    logger.error({ scope: "audit", orgId: checkpoint.org_id, err: error instanceof Error ? error.message : "error" }, "audit checkpoint not written to its sink");
  }
}

/**
 * On demand (an admin's "Sign checkpoint now", an export): signs the org's current head inside the caller's
 * tenant transaction, under the chain's lock, so no append slips between the head read and the signature. Returns
 * the latest checkpoint (an existing one when the head has not moved), or null for an empty chain.
 */
export async function checkpointInTransaction(tx: Queryable, orgId: string): Promise<SignedCheckpoint | null> {
  const [head] = await tx.query<{ seq: string | number; hash: string }>("select seq, hash from private.audit_chain_head($1)", [orgId]);
  if (!head) return null;
  const existing = await latestStoredCheckpoint(tx, orgId);
  if (existing && existing.seq >= Number(head.seq) && existing.purpose === "head") return existing;
  const checkpoint = signCheckpoint(auditSigningKey(), { org_id: orgId, seq: Number(head.seq), hash: head.hash, signed_at: nowMs(), purpose: "head" });
  await storeAndPush(checkpoint, () =>
    tx.query(
      "insert into public.audit_checkpoints (org_id, seq, hash, signed_at, key_id, signature) values ($1, $2, $3, $4, $5, $6) on conflict (org_id, seq, purpose) do nothing",
      [checkpoint.org_id, checkpoint.seq, checkpoint.hash, checkpoint.signed_at, checkpoint.key_id, checkpoint.signature],
    ),
  );
  return checkpoint;
}

/** checkpointInTransaction in a tenant transaction of its own (an admin's session). */
export function checkpointOrg(claims: VerifiedClaims, orgId: string): Promise<SignedCheckpoint | null> {
  return withTenant(claims, (tx) => checkpointInTransaction(tx, orgId));
}

/**
 * The scheduled task `audit.checkpoint`: signs the head of every chain that grew since its latest checkpoint
 * (as job_runner, through private.audit_heads_to_checkpoint / record_audit_checkpoint under the schedule's lease).
 */
export async function checkpointAllHeads(ctx: { leaseToken: string; withRunner<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> }, limit = 1000): Promise<{ signed: number }> {
  const heads = await ctx.withRunner((tx) =>
    tx.query<{ org_id: string; seq: string | number; hash: string }>("select org_id, seq, hash from private.audit_heads_to_checkpoint($1, $2)", [ctx.leaseToken, limit]),
  );
  const key = auditSigningKey();
  let signed = 0;
  for (const head of heads) {
    const checkpoint = signCheckpoint(key, { org_id: head.org_id, seq: Number(head.seq), hash: head.hash, signed_at: nowMs(), purpose: "head" });
    await storeAndPush(checkpoint, () =>
      ctx.withRunner((tx) =>
        tx.query("select private.record_audit_checkpoint($1, $2, $3, $4, $5, $6, $7)", [
          ctx.leaseToken, checkpoint.org_id, checkpoint.seq, checkpoint.hash, checkpoint.signed_at, checkpoint.key_id, checkpoint.signature,
        ]),
      ),
    );
    signed += 1;
  }
  return { signed };
}
