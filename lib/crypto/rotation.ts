import "server-only";
import { withKeyRotation, type Queryable } from "@/lib/db";
import { fieldCipher } from "./index";
import { keyProvider, wrapContext, type DataKeyRow } from "./data-keys";

/**
 * ENC-2: online key rotation, as role `key_rotation` (lib/db). Every batch is one short transaction that locks only
 * its own rows (FOR UPDATE SKIP LOCKED), so the app keeps reading and writing, and a run killed at any point leaves
 * every value decryptable; running the command again continues where it stopped:
 *
 * - rewrap: every data key not wrapped by the active KEK is unwrapped and wrapped again (data keys only, fast).
 * - reencrypt: every active data key becomes `retiring` (once: a run that finds retiring keys resumes instead);
 *   each record on a retiring key is decrypted and encrypted again under its org's new active data key; a retiring
 *   key that no record references any more is `retired` and its wrapped material erased.
 * - retire a KEK: refused while any data key references it (the count is the proof); then it can leave ENCRYPTION_KEYS.
 */

/** Every encrypted column: the re-encryption pass and the live checks walk exactly these. */
export const ENCRYPTED_COLUMNS = [
  { table: "integration_credentials", column: "ciphertext" },
  { table: "personal_credentials", column: "ciphertext" },
] as const;

export interface RotationProgress {
  phase: "rewrap" | "reencrypt";
  done: number;
  total: number;
}

export interface RotationOptions {
  batchSize?: number;
  /** Called after every committed batch (progress output; tests read and write between batches here). */
  onBatch?: (progress: RotationProgress) => void | Promise<void>;
  /** Stops after the current batch (a kill has the same effect, minus the clean exit). */
  signal?: AbortSignal;
  /** Only these organisations' keys and records (e.g. one tenant after a suspected exposure); every org when absent. */
  orgIds?: readonly string[];
}

const orgsOf = (o: RotationOptions) => (o.orgIds ? [...o.orgIds] : null);

const batchSizeOf = (o: RotationOptions) => Math.max(1, Math.min(o.batchSize ?? 200, 5_000));

export async function rewrapDataKeys(options: RotationOptions = {}): Promise<{ rewrapped: number; remaining: number }> {
  const provider = keyProvider();
  const active = provider.activeKekId;
  const limit = batchSizeOf(options);
  const [{ n: total } = { n: 0 }] = await withKeyRotation((tx) =>
    tx.query<{ n: number }>("select count(*)::int as n from public.data_keys where kek_id is not null and kek_id <> $1 and ($2::text[] is null or org_id = any($2))", [active, orgsOf(options)]),
  );
  let done = 0;
  while (!options.signal?.aborted) {
    const moved = await withKeyRotation(async (tx) => {
      const rows = await tx.query<DataKeyRow>(
        `select id, org_id, version, kek_id, wrapped_key, status from public.data_keys
          where kek_id is not null and kek_id <> $1 and ($3::text[] is null or org_id = any($3)) order by id limit $2 for update skip locked`,
        [active, limit, orgsOf(options)],
      );
      for (const row of rows) {
        const dataKey = await provider.unwrap(row.kek_id!, row.wrapped_key!, wrapContext(row.org_id, row.id, row.kek_id!));
        const wrapped = await provider.wrap(active, dataKey, wrapContext(row.org_id, row.id, active));
        dataKey.fill(0);
        await tx.query("update public.data_keys set kek_id = $2, wrapped_key = $3, rewrapped_at = now() where id = $1", [row.id, active, wrapped]);
      }
      return rows.length;
    });
    if (moved === 0) break;
    done += moved;
    await options.onBatch?.({ phase: "rewrap", done, total: Math.max(total, done) });
  }
  const [left] = await withKeyRotation((tx) =>
    tx.query<{ n: number }>("select count(*)::int as n from public.data_keys where kek_id is not null and kek_id <> $1 and ($2::text[] is null or org_id = any($2))", [active, orgsOf(options)]),
  );
  return { rewrapped: done, remaining: left?.n ?? 0 };
}

// $1: the organisations (NULL: all).
const ON_RETIRING = (table: string) =>
  `from public.${table} t where t.data_key_id in (select k.id from public.data_keys k where k.status = 'retiring') and ($1::text[] is null or t.org_id = any($1))`;

async function recordsOnRetiringKeys(tx: Queryable, orgs: string[] | null): Promise<number> {
  let n = 0;
  for (const { table } of ENCRYPTED_COLUMNS) {
    const [row] = await tx.query<{ n: number }>(`select count(*)::int as n ${ON_RETIRING(table)}`, [orgs]);
    n += row?.n ?? 0;
  }
  return n;
}

export async function reencryptRecords(options: RotationOptions = {}): Promise<{ reencrypted: number; retiredDataKeys: number; resumed: boolean }> {
  const limit = batchSizeOf(options);
  const orgs = orgsOf(options);
  // Start (or resume): retiring keys left by an earlier run mean that run's records are still being moved.
  const resumed = await withKeyRotation(async (tx) => {
    const [retiring] = await tx.query<{ n: number }>("select count(*)::int as n from public.data_keys where status = 'retiring' and ($1::text[] is null or org_id = any($1))", [orgs]);
    if ((retiring?.n ?? 0) > 0) return true;
    await tx.query("update public.data_keys set status = 'retiring' where status = 'active' and ($1::text[] is null or org_id = any($1))", [orgs]);
    return false;
  });
  const total = await withKeyRotation((tx) => recordsOnRetiringKeys(tx, orgs));
  let done = 0;
  let retiredDataKeys = 0;
  while (!options.signal?.aborted) {
    let moved = 0;
    for (const { table, column } of ENCRYPTED_COLUMNS) {
      if (options.signal?.aborted) break;
      moved += await withKeyRotation(async (tx) => {
        const rows = await tx.query<{ id: string; org_id: string; value: string }>(
          `select t.id, t.org_id, t.${column} as value ${ON_RETIRING(table)} order by t.id limit $2 for update of t skip locked`,
          [orgs, limit],
        );
        const cipher = fieldCipher(tx, { rotation: true });
        for (const row of rows) {
          const place = { orgId: row.org_id, table, column, rowId: row.id };
          const sealed = await cipher.encrypt(place, await cipher.decrypt(place, row.value));
          await tx.query(`update public.${table} set ${column} = $2, data_key_id = $3 where id = $1`, [row.id, sealed.ciphertext, sealed.dataKeyId]);
        }
        return rows.length;
      });
    }
    if (moved > 0) {
      done += moved;
      await options.onBatch?.({ phase: "reencrypt", done, total: Math.max(total, done) });
      continue;
    }
    // Nothing left to move (that is not locked by a writer): retire every retiring key no record references.
    const { retired, left } = await withKeyRotation(async (tx) => {
      const refs = ENCRYPTED_COLUMNS.map(({ table }) => `not exists (select 1 from public.${table} t where t.data_key_id = k.id)`).join(" and ");
      const retiredRows = await tx.query(
        `update public.data_keys k set status = 'retired', kek_id = null, wrapped_key = null, retired_at = now()
          where k.status = 'retiring' and ($1::text[] is null or k.org_id = any($1)) and ${refs} returning k.id`,
        [orgs],
      );
      const [rest] = await tx.query<{ n: number }>("select count(*)::int as n from public.data_keys where status = 'retiring' and ($1::text[] is null or org_id = any($1))", [orgs]);
      return { retired: retiredRows.length, left: rest?.n ?? 0 };
    });
    retiredDataKeys += retired;
    if (left === 0) break;
    await new Promise((r) => setTimeout(r, 50)); // a writer still holds a row on a retiring key; look again shortly
  }
  return { reencrypted: done, retiredDataKeys, resumed };
}

export class KeyInUseError extends Error {
  constructor(readonly kekId: string, readonly dataKeys: number) {
    super(
      dataKeys < 0
        ? `Refusing to retire key-encryption key "${kekId}": it is the active key. Make another key active in ENCRYPTION_KEYS and run \`npm run keys:rotate\` first.`
        : `Refusing to retire key-encryption key "${kekId}": ${dataKeys} data key(s) are still wrapped by it. Run \`npm run keys:rotate\` first.`,
    );
    this.name = "KeyInUseError";
  }
}

/**
 * ENC-2: proves that no data key references the KEK (a count, as role key_rotation, which sees every org), and
 * refuses otherwise or for the active KEK. The KEK can then be removed from ENCRYPTION_KEYS.
 */
export async function retireKek(kekId: string): Promise<{ kekId: string; dataKeys: 0 }> {
  if (kekId === keyProvider().activeKekId) throw new KeyInUseError(kekId, -1);
  const [row] = await withKeyRotation((tx) => tx.query<{ n: number }>("select count(*)::int as n from public.data_keys where kek_id = $1", [kekId]));
  const n = row?.n ?? 0;
  if (n > 0) throw new KeyInUseError(kekId, n);
  return { kekId, dataKeys: 0 };
}
