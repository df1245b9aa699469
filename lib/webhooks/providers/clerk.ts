import "server-only";
import { z } from "zod";
import { env } from "@/lib/env";
import { verifySvix } from "../signatures";
import type { EventHandler, WebhookAdapter } from "../types";

/** Clerk delivers through Svix: the event id is the signed `svix-id` header, the body `{ type, data, object }`. */
const envelope = z.object({ object: z.literal("event"), type: z.string().regex(/^[a-z][a-z0-9_.]{1,127}$/), data: z.record(z.string(), z.unknown()) });

const organizationUpdated = z.object({
  type: z.literal("organization.updated"),
  data: z.object({
    id: z.string().regex(/^org_[A-Za-z0-9]{1,64}$/),
    name: z.string().trim().min(1).max(100),
    updated_at: z.number().int().nonnegative(),
  }),
});

/**
 * IDN-3 (first part): the local organisation linked to the Clerk org (same id, JIT-provisioned) takes its name.
 * WH-3: Clerk's `updated_at` orders the updates of one organisation.
 */
const onOrganizationUpdated: EventHandler<z.infer<typeof organizationUpdated>> = {
  schema: organizationUpdated,
  target: (e) => ({ kind: "organization", externalId: e.data.id }),
  async apply(tx, e, ctx) {
    if (!(await ctx.advanceVersion("organization", e.data.id, e.data.updated_at))) return { applied: false, note: "superseded by a newer event" };
    const [before] = await tx.query<{ name: string }>("select name from public.organizations where id = $1", [e.data.id]);
    if (!before) throw Object.assign(new Error(), { name: "EffectTargetMissing" });
    if (before.name === e.data.name) return { applied: true };
    await tx.query("update public.organizations set name = $1 where id = $2", [e.data.name, e.data.id]);
    await ctx.audit({ action: "organization.renamed", targetType: "organization", targetId: e.data.id, changes: { from: before.name, to: e.data.name } });
    return { applied: true };
  },
};

export const clerkAdapter: WebhookAdapter<z.infer<typeof envelope>> = {
  provider: "clerk",
  secrets: () => env.CLERK_WEBHOOK_SECRET,
  verify: verifySvix,
  envelope,
  identify: (e, headerEventId) => (headerEventId ? { eventId: headerEventId, eventType: e.type } : null),
  handlers: { "organization.updated": onOrganizationUpdated },
};
