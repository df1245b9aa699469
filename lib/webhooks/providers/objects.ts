import "server-only";
import type { Queryable } from "@/lib/db";
import type { EffectOutcome, WebhookProvider } from "../types";

/**
 * An object we created at a provider for an org (public.provider_objects) takes the status an event reports, unless a
 * newer event of that object was already applied (WH-3). RLS confines the update to the entered org.
 */
export async function setProviderObjectStatus(
  tx: Queryable,
  ctx: { advanceVersion(objectType: string, objectId: string, version: number): Promise<boolean> },
  object: { provider: WebhookProvider; kind: string; externalId: string; version: number; status: string; attributes?: Record<string, unknown> },
): Promise<EffectOutcome> {
  if (!(await ctx.advanceVersion(object.kind, object.externalId, object.version))) return { applied: false, note: "superseded by a newer event" };
  const rows = await tx.query(
    `update public.provider_objects set status = $4, attributes = $5::jsonb, updated_at = now()
      where provider = $1 and kind = $2 and external_id = $3 returning external_id`,
    [object.provider, object.kind, object.externalId, object.status, JSON.stringify(object.attributes ?? {})],
  );
  if (rows.length !== 1) throw Object.assign(new Error(), { name: "EffectTargetMissing" });
  return { applied: true };
}
