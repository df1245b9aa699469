import "server-only";
import type { Queryable } from "@/lib/db";
import { activeDataKey, dataKeysById, unwrapDataKey, type DataKeyRow } from "./data-keys";
import { open, parseCiphertext, seal, type FieldPlace } from "./envelope";
import { DecryptionError } from "./errors";

/**
 * lib/crypto, ENC-1: envelope encryption of stored secrets. Callers pass their transaction (tenant-scoped: RLS lets
 * it see only its org's data keys) and the field's place; docs/encryption.md describes the design.
 */

export { DecryptionError, MissingKeyError } from "./errors";
export { keyProvider, setKeyProvider } from "./data-keys";
export { environmentKeyProvider, type KeyProvider } from "./provider";
export { verifyKeysAvailable, type KeyInventory } from "./startup-check";
export type { FieldPlace } from "./envelope";

export interface FieldCipher {
  /** Encrypts under the org's active data key (created on first use). */
  encrypt(place: FieldPlace, plaintext: string): Promise<{ ciphertext: string; dataKeyId: string }>;
  /** Decrypts, or throws DecryptionError; never returns anything else. */
  decrypt(place: FieldPlace, ciphertext: string): Promise<string>;
}

/**
 * A cipher bound to one transaction; data key rows are read once per transaction. `rotation`: tx runs as role
 * key_rotation (lib/crypto/rotation.ts), which creates data keys directly rather than through the tenant function.
 */
export function fieldCipher(tx: Queryable, options: { rotation?: boolean } = {}): FieldCipher {
  const rows = new Map<string, Promise<DataKeyRow | undefined>>();
  const active = new Map<string, Promise<DataKeyRow>>();
  const rowOf = (id: string) => {
    let row = rows.get(id);
    if (!row) rows.set(id, (row = dataKeysById(tx, [id]).then((m) => m.get(id))));
    return row;
  };
  return {
    async encrypt(place, plaintext) {
      let key = active.get(place.orgId);
      if (!key) active.set(place.orgId, (key = activeDataKey(tx, place.orgId, options.rotation === true)));
      const row = await key;
      return { ciphertext: seal(await unwrapDataKey(row), row.kek_id!, place, plaintext), dataKeyId: row.id };
    },
    async decrypt(place, ciphertext) {
      const parsed = parseCiphertext(ciphertext);
      const row = await rowOf(parsed.dataKeyId);
      // Another org's data key is invisible under RLS; checked here as well for callers outside a tenant transaction.
      if (!row || row.org_id !== place.orgId) throw new DecryptionError(`${place.table}.${place.column} of row ${place.rowId} names a data key this organisation does not have`);
      return open(await unwrapDataKey(row), parsed, place);
    },
  };
}
