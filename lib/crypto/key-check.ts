import type { Queryable } from "@/lib/db";
import { keyProvider, unwrapDataKey, type DataKeyRow } from "./data-keys";
import { DecryptionError, MissingKeyError } from "./errors";

/**
 * ENC-1: every KEK a data key references must be configured, and must be the right key (one data key per KEK is
 * unwrapped). Runs when lib/db first opens the database (so a process with a missing or wrong KEK refuses to serve
 * from its first request on, and `instrumentation.ts` stops the server at start), on every readiness probe, and in
 * the decrypt self-test. `tx` runs as role key_rotation, which sees every org's data keys.
 */
export interface KeyInventory {
  /** Data keys (not retired) per KEK id. */
  dataKeysByKek: Record<string, number>;
  missing: string[];
}

export async function checkKeysIn(tx: Queryable): Promise<KeyInventory> {
  const provider = keyProvider();
  const counts = await tx.query<{ kek_id: string; n: number }>(
    "select kek_id, count(*)::int as n from public.data_keys where kek_id is not null group by kek_id order by kek_id",
  );
  const missing = counts.map((r) => r.kek_id).filter((id) => !provider.kekIds.includes(id));
  if (missing.length > 0) throw new MissingKeyError(missing);
  const samples = await tx.query<DataKeyRow>(
    "select distinct on (kek_id) id, org_id, version, kek_id, wrapped_key, status from public.data_keys where kek_id is not null order by kek_id, id",
  );
  for (const sample of samples) {
    try {
      await unwrapDataKey(sample);
    } catch (error) {
      if (error instanceof DecryptionError) {
        throw new MissingKeyError([sample.kek_id!], `the configured key "${sample.kek_id}" is not the key that wrapped the stored data keys`);
      }
      throw error;
    }
  }
  return { dataKeysByKek: Object.fromEntries(counts.map((r) => [r.kek_id, r.n])), missing };
}
