import "server-only";
import { randomUUID } from "node:crypto";
import { withKeyRotation } from "@/lib/db";
import type { CheckResult } from "@/lib/controls/live-checks";
import { deriveKey, open, parseCiphertext, seal } from "./envelope";
import { checkKeysIn } from "./key-check";
import { keyProvider, unwrapDataKey, wrapContext, type DataKeyRow } from "./data-keys";
import { ENCRYPTED_COLUMNS } from "./rotation";

/** ENC-1 / ENC-2 live checks, as role key_rotation (every org's key metadata; no value is returned or logged). */

/** Records per key version: how many encrypted values sit on each KEK (through their data key), and none on a retired data key. */
export async function checkRecordsPerKeyVersion(): Promise<CheckResult> {
  const rows = await withKeyRotation((tx) =>
    tx.query<{ kek_id: string | null; status: string; n: number }>(
      ENCRYPTED_COLUMNS.map(({ table }) => `select k.kek_id, k.status from public.${table} t join public.data_keys k on k.id = t.data_key_id`).join(" union all ")
        .replace(/^/, "select kek_id, status, count(*)::int as n from (")
        .concat(") r group by kek_id, status order by kek_id, status"),
    ),
  );
  const onRetired = rows.filter((r) => r.status === "retired").reduce((n, r) => n + r.n, 0);
  const active = keyProvider().activeKekId;
  const byKek = rows.filter((r) => r.kek_id).map((r) => `${r.kek_id}${r.kek_id === active ? " (active)" : ""}: ${r.n}${r.status === "retiring" ? " being re-encrypted" : ""}`);
  if (onRetired > 0) return { status: "fail", detail: `${onRetired} encrypted value(s) reference a retired data key.` };
  const total = rows.reduce((n, r) => n + r.n, 0);
  const notActive = rows.filter((r) => r.kek_id !== active).reduce((n, r) => n + r.n, 0);
  return {
    status: notActive > 0 ? "warn" : "pass",
    detail: total === 0 ? "No encrypted values are stored yet." : `Encrypted values per key-encryption key: ${byKek.join("; ")}.${notActive > 0 ? " Run `npm run keys:rotate`." : ""}`,
  };
}

/** Keys pending retirement: configured KEKs that are not active, and how many data keys each still wraps. */
export async function checkKeysPendingRetirement(): Promise<CheckResult> {
  const provider = keyProvider();
  const rows = await withKeyRotation((tx) =>
    tx.query<{ kek_id: string; n: number }>("select kek_id, count(*)::int as n from public.data_keys where kek_id is not null group by kek_id"),
  );
  const count = new Map(rows.map((r) => [r.kek_id, r.n]));
  const missing = rows.map((r) => r.kek_id).filter((id) => !provider.kekIds.includes(id));
  if (missing.length > 0) return { status: "fail", detail: `Data keys reference key-encryption key(s) not configured: ${missing.join(", ")}.` };
  const pending = provider.kekIds.filter((id) => id !== provider.activeKekId);
  if (pending.length === 0) return { status: "pass", detail: `One key-encryption key configured (${provider.activeKekId}, active).` };
  const parts = pending.map((id) => `${id}: ${count.get(id) ?? 0} data key(s)${(count.get(id) ?? 0) === 0 ? " (can be retired)" : ""}`);
  return { status: "warn", detail: `Active: ${provider.activeKekId}. Pending retirement: ${parts.join("; ")}.` };
}

/**
 * Decrypt self-test: a throwaway value sealed and opened under a throwaway data key wrapped by every configured KEK
 * (nothing stored), a tampered copy refused, and the start-up check (every referenced KEK present and right).
 */
export async function checkDecryptSelfTest(): Promise<CheckResult> {
  const provider = keyProvider();
  const place = { orgId: "org_selftest", table: "self_test", column: "value", rowId: randomUUID() };
  for (const kekId of provider.kekIds) {
    const id = randomUUID();
    const dataKey = (await import("node:crypto")).randomBytes(32);
    const wrapped = await provider.wrap(kekId, dataKey, wrapContext(place.orgId, id, kekId));
    const row: DataKeyRow = { id, org_id: place.orgId, version: 1, kek_id: kekId, wrapped_key: wrapped, status: "active" };
    const key = await unwrapDataKey(row);
    const probe = randomUUID();
    const sealed = seal(key, kekId, place, probe);
    if (open(key, parseCiphertext(sealed), place) !== probe) return { status: "fail", detail: `The self-test value did not round-trip under ${kekId}.` };
    let refused = false;
    try {
      open(deriveKey(id, dataKey), parseCiphertext(sealed), { ...place, rowId: randomUUID() });
    } catch {
      refused = true;
    }
    if (!refused) return { status: "fail", detail: "A value moved to another row decrypted: associated data is not enforced." };
  }
  const inventory = await withKeyRotation(checkKeysIn);
  const n = Object.values(inventory.dataKeysByKek).reduce((a, b) => a + b, 0);
  return { status: "pass", detail: `Round trip and tamper refusal under ${provider.kekIds.length} key-encryption key(s); ${n} stored data key(s) unwrap.` };
}
