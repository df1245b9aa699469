import "server-only";
import { env } from "@/lib/env";
import type { Queryable } from "@/lib/db";
import { defineAction } from "@/lib/actions/pipeline";
import { AppError, NotFoundError } from "@/lib/errors";
import { withinPlanLimit } from "@/lib/billing/limits";
import { apiKeyPrefix, generateApiKey, hashApiKey } from "./key-format";
import { createApiKeySchema, deleteApiKeySchema, revokeApiKeySchema, rollApiKeySchema, type ApiKeyPermission } from "./schemas";

/**
 * KEY-1..4: the API-key lifecycle as server actions (admin minimum, TEN-3). Each runs through defineAction
 * (authenticate -> Zod -> role -> withTenant -> audit); RLS admits only the org's owners and admins too.
 * Plaintext keys exist only in the result of create and roll; the database and the audit log never see them.
 */

export interface CreatedApiKey {
  id: string;
  name: string;
  prefix: string;
  /** The secret, returned once. Show it, never store or log it. */
  plaintext: string;
  projectId: string | null;
  permissions: ApiKeyPermission[];
  expiresAt: Date | null;
}

export interface RolledApiKey {
  id: string;
  name: string;
  prefix: string;
  plaintext: string;
  previousExpiresAt: Date;
  expiresAt: Date | null;
}

// Keys minted by a production deployment say so; development and test deployments mint `tg_test_` keys.
const keyMode = () => (env.NODE_ENV === "production" ? "live" : "test");

interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  revoked_at: Date | null;
  expires_at: Date | null;
  previous_expires_at: Date | null;
}

async function getKey(tx: Queryable, id: string): Promise<KeyRow> {
  // TEN-4: another org's key and a missing one are the same 404 (RLS hides the former); the pipeline records
  // the former as a security event.
  const [row] = await tx.query<KeyRow>("select id, name, prefix, revoked_at, expires_at, previous_expires_at from public.api_keys where id = $1", [id]);
  if (!row) throw new NotFoundError("api_key", id);
  return row;
}

export const createApiKey = defineAction({
  name: "api_keys.create",
  schema: createApiKeySchema,
  minimumRole: "admin",
  secondFactor: "fresh",
  async run({ input, session, tx, audit }): Promise<CreatedApiKey> {
    // KEY-3: a project scope must be a project the caller can see in this org; otherwise 404 (and TEN-4 probe).
    if (input.projectId) {
      const [project] = await tx.query("select id from public.projects where id = $1", [input.projectId]);
      if (!project) throw new NotFoundError("project", input.projectId);
    }
    const plaintext = generateApiKey(keyMode());
    const prefix = apiKeyPrefix(plaintext);
    // BIL-1: the org's plan limits its unrevoked keys; the database's guard refuses the insert at the limit.
    const [row] = await withinPlanLimit(() => tx.query<{ id: string; expires_at: Date | null }>(
      `insert into public.api_keys (org_id, project_id, name, prefix, key_hash, permissions, ip_allowlist, expires_at, created_by)
       values ($1, $2, $3, $4, $5, $6::text[], $7::cidr[], $8, $9)
       returning id, expires_at`,
      [
        session.orgId,
        input.projectId,
        input.name,
        prefix,
        hashApiKey(plaintext),
        input.permissions,
        input.ipAllowlist.length > 0 ? input.ipAllowlist : null,
        input.expiresAt?.toISOString() ?? null,
        session.userId,
      ],
    ));
    const id = row!.id;
    const details = {
      name: input.name,
      prefix,
      project_id: input.projectId,
      permissions: input.permissions,
      expires_at: input.expiresAt?.toISOString() ?? null,
      ip_allowlist: input.ipAllowlist,
    };
    // KEY-4 / AUD-3: audited in the same transaction; never the plaintext or the hash.
    await audit({ action: "api_key.created", targetType: "api_key", targetId: id, changes: details });
    // Every owner and admin learns that a credential to their org now exists.
    await tx.query(
      `insert into public.notifications (org_id, recipient_role, kind, body, created_by)
       values ($1, 'admin', 'api_key.created', $2::jsonb, $3)`,
      [session.orgId, JSON.stringify({ key_id: id, ...details, created_by: session.userId }), session.userId],
    );
    return { id, name: input.name, prefix, plaintext, projectId: input.projectId, permissions: input.permissions, expiresAt: row!.expires_at };
  },
});

/** KEY-2: takes effect on the next request everywhere: verification reads the row on every request. */
export const revokeApiKey = defineAction({
  name: "api_keys.revoke",
  schema: revokeApiKeySchema,
  minimumRole: "admin",
  secondFactor: "present",
  async run({ input, tx, audit }) {
    const key = await getKey(tx, input.id);
    if (key.revoked_at) return { id: key.id, revokedAt: key.revoked_at };
    const [row] = await tx.query<{ revoked_at: Date }>("update public.api_keys set revoked_at = now() where id = $1 returning revoked_at", [key.id]);
    if (!row) throw new NotFoundError("api_key", key.id);
    await audit({ action: "api_key.revoked", targetType: "api_key", targetId: key.id, changes: { name: key.name, prefix: key.prefix } });
    return { id: key.id, revokedAt: row.revoked_at };
  },
});

export const deleteApiKey = defineAction({
  name: "api_keys.delete",
  schema: deleteApiKeySchema,
  minimumRole: "admin",
  secondFactor: "present",
  async run({ input, tx, audit }) {
    const [row] = await tx.query<{ id: string; name: string; prefix: string }>("delete from public.api_keys where id = $1 returning id, name, prefix", [input.id]);
    if (!row) throw new NotFoundError("api_key", input.id);
    await audit({ action: "api_key.deleted", targetType: "api_key", targetId: row.id, changes: { name: row.name, prefix: row.prefix } });
    return { id: row.id };
  },
});

/**
 * KEY-2: a new secret for the same key (same id, scope, permissions and expiry; the expiry is never extended).
 * The old secret keeps working until the grace ends; rolling again ends an earlier grace at once.
 */
export const rollApiKey = defineAction({
  name: "api_keys.roll",
  schema: rollApiKeySchema,
  minimumRole: "admin",
  secondFactor: "fresh",
  async run({ input, tx, audit }): Promise<RolledApiKey> {
    const key = await getKey(tx, input.id);
    if (key.revoked_at) throw new AppError("invalid_input", "A revoked key cannot be rolled. Create a new key instead.");
    if (key.expires_at && new Date(key.expires_at).getTime() <= Date.now()) {
      throw new AppError("invalid_input", "An expired key cannot be rolled. Create a new key instead.");
    }
    const plaintext = generateApiKey(keyMode());
    const prefix = apiKeyPrefix(plaintext);
    // previous_key_hash is set by the database (trigger api_keys_guard_update) from the replaced hash.
    const [row] = await tx.query<{ previous_expires_at: Date; expires_at: Date | null }>(
      `update public.api_keys
          set key_hash = $2, prefix = $3, previous_expires_at = now() + make_interval(secs => $4)
        where id = $1 and revoked_at is null
        returning previous_expires_at, expires_at`,
      [key.id, hashApiKey(plaintext), prefix, input.graceSeconds],
    );
    if (!row) throw new NotFoundError("api_key", key.id);
    await audit({
      action: "api_key.rolled",
      targetType: "api_key",
      targetId: key.id,
      changes: {
        name: key.name,
        prefix: { from: key.prefix, to: prefix },
        previous_expires_at: new Date(row.previous_expires_at).toISOString(),
        grace_seconds: input.graceSeconds,
      },
    });
    return { id: key.id, name: key.name, prefix, plaintext, previousExpiresAt: row.previous_expires_at, expiresAt: row.expires_at };
  },
});
