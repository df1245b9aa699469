import "server-only";
import { createHash } from "node:crypto";
import type { Queryable } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { canonicalJson } from "@/lib/audit/chain";

export const IDEMPOTENCY_HEADER = "idempotency-key";
const KEY = /^[\x21-\x7e]{1,255}$/;

export class IdempotencyError extends AppError {
  constructor(message: string) {
    super("invalid_input", message);
  }
}

export interface StoredResponse {
  status: number;
  body: unknown;
}

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash("sha256").update(`${method} ${path}\n${canonicalJson(body ?? null)}`).digest("hex");
}

/**
 * VAL-4: runs `work` at most once per (principal, Idempotency-Key) within 24 h, inside the request's tenant
 * transaction. A concurrent duplicate waits on the row the first one inserted and then replays its response.
 */
export async function withIdempotency(
  tx: Queryable,
  input: { orgId: string; principal: string; key: string | null; fingerprint: string },
  work: () => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  if (input.key === null) return { ...(await work()), replayed: false };
  if (!KEY.test(input.key)) throw new IdempotencyError("Idempotency-Key must be 1 to 255 visible ASCII characters.");

  // An expired record no longer counts: clear it, then claim the key.
  await tx.query("delete from public.idempotency_keys where org_id = $1 and principal = $2 and idempotency_key = $3 and expires_at <= now()", [
    input.orgId,
    input.principal,
    input.key,
  ]);
  const claimed = await tx.query(
    `insert into public.idempotency_keys (org_id, principal, idempotency_key, request_hash)
     values ($1, $2, $3, $4) on conflict do nothing returning 1`,
    [input.orgId, input.principal, input.key, input.fingerprint],
  );
  if (claimed.length === 0) {
    const [existing] = await tx.query<{ request_hash: string; response_status: number | null; response_body: unknown }>(
      "select request_hash, response_status, response_body from public.idempotency_keys where org_id = $1 and principal = $2 and idempotency_key = $3",
      [input.orgId, input.principal, input.key],
    );
    if (!existing || existing.request_hash !== input.fingerprint) {
      throw new IdempotencyError("This Idempotency-Key was already used with a different request.");
    }
    if (existing.response_status === null) throw new IdempotencyError("A request with this Idempotency-Key is still in progress.");
    return { status: existing.response_status, body: existing.response_body, replayed: true };
  }
  const response = await work();
  await tx.query(
    "update public.idempotency_keys set response_status = $4, response_body = $5::jsonb where org_id = $1 and principal = $2 and idempotency_key = $3",
    [input.orgId, input.principal, input.key, response.status, JSON.stringify(response.body ?? null)],
  );
  return { ...response, replayed: false };
}
