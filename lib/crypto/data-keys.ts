import "server-only";
import { randomBytes, randomUUID } from "node:crypto";
import { env } from "@/lib/env";
import type { Queryable } from "@/lib/db";
import { deriveKey, type DerivedKey } from "./envelope";
import { DecryptionError } from "./errors";
import { environmentKeyProvider, type KeyProvider } from "./provider";

/** ENC-1: per-org data keys (public.data_keys), created on first use, wrapped by the key provider's active KEK. */

export interface DataKeyRow {
  id: string;
  org_id: string;
  version: number;
  kek_id: string | null;
  wrapped_key: string | null;
  status: "active" | "retiring" | "retired";
}

const state = globalThis as unknown as { __tenantguardKeyProvider?: KeyProvider };

/** The provider in use: the environment's KEKs unless replaced (a KMS provider, or a test's keyring). */
export function keyProvider(): KeyProvider {
  return (state.__tenantguardKeyProvider ??= environmentKeyProvider(env.encryptionKeys));
}

export function setKeyProvider(provider: KeyProvider | undefined): void {
  state.__tenantguardKeyProvider = provider;
  derivedKeys.clear();
}

/** The context a wrapped data key is bound to: moved to another org or re-labelled with another KEK, it fails. */
export function wrapContext(orgId: string, dataKeyId: string, kekId: string): Buffer {
  return Buffer.from(["tg-dek-v1", orgId, dataKeyId, kekId].join("\u0000"), "utf8");
}

// Unwrapped data keys, by id and wrapping: a KMS round trip (or an AES unwrap) per data key, not per value. Bounded.
const derivedKeys = new Map<string, DerivedKey>();
const CACHE_LIMIT = 1024;

export async function unwrapDataKey(row: DataKeyRow): Promise<DerivedKey> {
  if (row.status === "retired" || row.wrapped_key === null || row.kek_id === null) {
    throw new DecryptionError(`data key ${row.id} is retired`);
  }
  const cacheKey = `${row.id}|${row.kek_id}|${row.wrapped_key}`;
  const cached = derivedKeys.get(cacheKey);
  if (cached) return cached;
  const dataKey = await keyProvider().unwrap(row.kek_id, row.wrapped_key, wrapContext(row.org_id, row.id, row.kek_id));
  const derived = deriveKey(row.id, dataKey);
  dataKey.fill(0);
  if (derivedKeys.size >= CACHE_LIMIT) derivedKeys.delete(derivedKeys.keys().next().value!);
  derivedKeys.set(cacheKey, derived);
  return derived;
}

const COLUMNS = "id, org_id, version, kek_id, wrapped_key, status";

/** A fresh random data key for the org, wrapped by the active KEK; `status` active unless given. */
export async function newDataKeyRow(orgId: string, version: number, status: DataKeyRow["status"] = "active"): Promise<DataKeyRow> {
  const provider = keyProvider();
  const id = randomUUID();
  const dataKey = randomBytes(32);
  const wrapped = await provider.wrap(provider.activeKekId, dataKey, wrapContext(orgId, id, provider.activeKekId));
  dataKey.fill(0);
  return { id, org_id: orgId, version, kek_id: provider.activeKekId, wrapped_key: wrapped, status };
}

/**
 * The org's active data key, created when it has none: in a tenant transaction through private.create_data_key (the
 * caller's own org only), as role key_rotation (`rotation`) by a direct insert. A concurrent creator wins cleanly.
 */
export async function activeDataKey(tx: Queryable, orgId: string, rotation = false): Promise<DataKeyRow> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const [row] = await tx.query<DataKeyRow>(`select ${COLUMNS} from public.data_keys where org_id = $1 and status = 'active'`, [orgId]);
    if (row) return row;
    const fresh = await newDataKeyRow(orgId, 0);
    const [inserted] = rotation
      ? await tx.query<DataKeyRow>(
          `insert into public.data_keys (id, org_id, version, kek_id, wrapped_key)
           select $1, $2, coalesce((select max(version) from public.data_keys where org_id = $2), 0) + 1, $3, $4
           on conflict do nothing returning ${COLUMNS}`,
          [fresh.id, orgId, fresh.kek_id, fresh.wrapped_key],
        )
      : await tx.query<DataKeyRow>(`select ${COLUMNS} from private.create_data_key($1, $2, $3)`, [fresh.id, fresh.kek_id, fresh.wrapped_key]);
    if (inserted && inserted.org_id === orgId) return inserted;
  }
  throw new Error("Could not create the organisation's data key.");
}

export async function dataKeysById(tx: Queryable, ids: readonly string[]): Promise<Map<string, DataKeyRow>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.query<DataKeyRow>(`select ${COLUMNS} from public.data_keys where id = any($1::uuid[])`, [[...new Set(ids)]]);
  return new Map(rows.map((r) => [r.id, r]));
}
