import "server-only";
import { randomUUID } from "node:crypto";
import type { Queryable } from "@/lib/db";
import { fieldCipher } from "@/lib/crypto";
import { lastFour, type Service } from "./services";

/**
 * ENC-1 / ENC-5: credential rows, in the caller's tenant transaction (RLS decides who sees which). Secrets go in
 * and come out only through lib/crypto; listings return metadata (last 4 characters, who set it, when), never the
 * ciphertext.
 */

export type CredentialScope = "org" | "personal";

const TABLE: Record<CredentialScope, "integration_credentials" | "personal_credentials"> = {
  org: "integration_credentials",
  personal: "personal_credentials",
};

export interface CredentialSummary {
  service: Service;
  last4: string;
  setBy: string | null;
  setAt: Date;
  lastTestedAt: Date | null;
  lastTestOk: boolean | null;
}

export async function listCredentials(tx: Queryable, scope: CredentialScope): Promise<CredentialSummary[]> {
  const rows =
    scope === "org"
      ? await tx.query<{ service: Service; last4: string; set_by: string; set_at: Date; last_tested_at: Date | null; last_test_ok: boolean | null }>(
          "select service, last4, set_by, set_at, last_tested_at, last_test_ok from public.integration_credentials order by service",
        )
      : await tx.query<{ service: Service; last4: string; set_by: null; set_at: Date; last_tested_at: null; last_test_ok: null }>(
          "select service, last4, null as set_by, set_at, null as last_tested_at, null as last_test_ok from public.personal_credentials order by service",
        );
  return rows.map((r) => ({ service: r.service, last4: r.last4, setBy: r.set_by, setAt: r.set_at, lastTestedAt: r.last_tested_at, lastTestOk: r.last_test_ok }));
}

/** Stores or replaces; returns whether a credential was replaced. The row keeps its id (the associated data). */
export async function putCredential(
  tx: Queryable,
  scope: CredentialScope,
  owner: { orgId: string; userId: string },
  service: Service,
  secret: string,
): Promise<{ id: string; replaced: boolean }> {
  const table = TABLE[scope];
  const [existing] = await tx.query<{ id: string }>(`select id from public.${table} where service = $1 ${scope === "personal" ? "and user_id = $2" : ""} for update`, scope === "personal" ? [service, owner.userId] : [service]);
  const id = existing?.id ?? randomUUID();
  const sealed = await fieldCipher(tx).encrypt({ orgId: owner.orgId, table, column: "ciphertext", rowId: id }, secret);
  if (existing) {
    await tx.query(
      scope === "org"
        ? `update public.${table} set ciphertext = $2, data_key_id = $3, last4 = $4, set_by = $5, set_at = now(), last_tested_at = null, last_test_ok = null where id = $1`
        : `update public.${table} set ciphertext = $2, data_key_id = $3, last4 = $4, set_at = now() where id = $1`,
      scope === "org" ? [id, sealed.ciphertext, sealed.dataKeyId, lastFour(secret), owner.userId] : [id, sealed.ciphertext, sealed.dataKeyId, lastFour(secret)],
    );
  } else if (scope === "org") {
    await tx.query(
      `insert into public.integration_credentials (id, org_id, service, ciphertext, data_key_id, last4, set_by) values ($1, $2, $3, $4, $5, $6, $7)`,
      [id, owner.orgId, service, sealed.ciphertext, sealed.dataKeyId, lastFour(secret), owner.userId],
    );
  } else {
    await tx.query(
      `insert into public.personal_credentials (id, org_id, user_id, service, ciphertext, data_key_id, last4) values ($1, $2, $3, $4, $5, $6, $7)`,
      [id, owner.orgId, owner.userId, service, sealed.ciphertext, sealed.dataKeyId, lastFour(secret)],
    );
  }
  return { id, replaced: Boolean(existing) };
}

/** The decrypted secret, or null when none is stored (or RLS hides it). Decryption failures throw. */
export async function readCredential(
  tx: Queryable,
  scope: CredentialScope,
  owner: { orgId: string; userId: string },
  service: Service,
): Promise<{ id: string; secret: string } | null> {
  const table = TABLE[scope];
  const orgId = owner.orgId;
  const [row] = await tx.query<{ id: string; ciphertext: string }>(
    `select id, ciphertext from public.${table} where org_id = $1 and service = $2 ${scope === "personal" ? "and user_id = $3" : ""}`,
    scope === "personal" ? [orgId, service, owner.userId] : [orgId, service],
  );
  if (!row) return null;
  const secret = await fieldCipher(tx).decrypt({ orgId, table, column: "ciphertext", rowId: row.id }, row.ciphertext);
  return { id: row.id, secret };
}

export async function deleteCredential(tx: Queryable, scope: CredentialScope, service: Service): Promise<{ id: string } | null> {
  const [row] = await tx.query<{ id: string }>(`delete from public.${TABLE[scope]} where service = $1 returning id`, [service]);
  return row ?? null;
}
