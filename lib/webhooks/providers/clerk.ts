import "server-only";
import { z } from "zod";
import { env } from "@/lib/env";
import type { Queryable } from "@/lib/db";
import { appendAudit } from "@/lib/audit/writer";
import { applyClerkMembership } from "@/lib/members/sync";
import { verifySvix } from "../signatures";
import type { EventHandler, WebhookAdapter } from "../types";

/** Clerk delivers through Svix: the event id is the signed `svix-id` header, the body `{ type, data, object }`. */
const envelope = z.object({ object: z.literal("event"), type: z.string().regex(/^[a-z][A-Za-z0-9_.]{1,127}$/), data: z.record(z.string(), z.unknown()) });

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

const orgId = z.string().regex(/^org_[A-Za-z0-9]{1,64}$/);
const userId = z.string().regex(/^user_[A-Za-z0-9]{1,64}$/);
/** Clerk's event time (ms), on every event; the svix timestamp signs the same moment. */
const eventTimestamp = z.number().int().nonnegative().optional();

/** A Clerk error that makes the delivery fail (500), so Clerk retries it. */
const failure = (name: string) => Object.assign(new Error(), { name });

const membershipEvent = z.object({
  type: z.enum(["organizationMembership.created", "organizationMembership.updated", "organizationMembership.deleted"]),
  timestamp: eventTimestamp,
  data: z.object({
    role: z.string().min(1).max(64),
    updated_at: z.number().int().nonnegative(),
    organization: z.object({ id: orgId }),
    public_user_data: z.object({ user_id: userId }),
  }),
});

async function memberRole(tx: Queryable, org: string, user: string): Promise<string | null> {
  const [row] = await tx.query<{ role: string }>("select role from public.memberships where org_id = $1 and user_id = $2", [org, user]);
  return row?.role ?? null;
}

/**
 * IDN-3 / TEN-3: a Clerk membership created, changed or deleted becomes the local membership, in the org OUR records
 * hold under that Clerk org id (ctx.orgId, resolved by the kernel; the payload only names it). Ordered per membership
 * by Clerk's updated_at (a deletion: the event time, always after the membership's last update), so an older event
 * after a newer one changes nothing. Each change is audited in the org (AUD-3) as the `webhook` actor `clerk`. A
 * change that would leave the org without an owner fails (500): Clerk retries, and it applies once another owner is
 * in place.
 */
const onMembership: EventHandler<z.infer<typeof membershipEvent>> = {
  schema: membershipEvent,
  target: (e) => ({ kind: "organization", externalId: e.data.organization.id }),
  async apply(tx, e, ctx) {
    const user = e.data.public_user_data.user_id;
    const deleted = e.type === "organizationMembership.deleted";
    const eventTime = deleted ? Math.max(e.timestamp ?? 0, e.data.updated_at + 1) : e.data.updated_at;
    // The lock private.apply_clerk_membership takes, taken first so the role read for the audit entry is current.
    await tx.query("select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended($1, 0))", [`tg.membership:${ctx.orgId}:${user}`]);
    const before = await memberRole(tx, ctx.orgId, user);
    const outcome = await applyClerkMembership(tx, { clerkOrgId: ctx.orgId, clerkUserId: user, role: e.data.role, deleted, eventTime: new Date(eventTime) });
    if (outcome === "last_owner") throw failure("LastOwnerRefused");
    if (outcome === "stale") return { applied: false, note: "superseded by a newer event" };
    const after = await memberRole(tx, ctx.orgId, user);
    if (before === after) return { applied: true };
    const action = before === null ? "member.added" : after === null ? "member.removed" : "member.role_changed";
    await ctx.audit({ action, targetType: "user", targetId: user, changes: { from: before, to: after } });
    return { applied: true };
  },
};

const userEvent = z.object({
  type: z.enum(["user.created", "user.updated"]),
  data: z.object({
    id: userId,
    email_addresses: z.array(z.object({ id: z.string().min(1).max(128), email_address: z.string().max(320) })).max(100),
    primary_email_address_id: z.string().max(128).nullable(),
    first_name: z.string().max(100).nullable().optional(),
    last_name: z.string().max(100).nullable().optional(),
    updated_at: z.number().int().nonnegative(),
  }),
});

const outsideOrg = () => {
  throw failure("EffectOutsideOrg");
};

/**
 * IDN-3: the local user's primary email and name follow Clerk's user.created / user.updated, ordered by Clerk's
 * updated_at. A user event belongs to no org: it runs through private.webhook_clerk_user_sync, bound to this
 * delivery and touching only that user's row.
 */
const onUser: EventHandler<z.infer<typeof userEvent>> = {
  schema: userEvent,
  target: (e) => ({ kind: "user", externalId: e.data.id }),
  apply: outsideOrg,
  async applyOutsideOrg(tx, e, event) {
    const primary = e.data.email_addresses.find((a) => a.id === e.data.primary_email_address_id)?.email_address ?? null;
    const email = primary && z.email().safeParse(primary).success ? primary.toLowerCase() : null;
    const name = [e.data.first_name, e.data.last_name].filter((p): p is string => !!p && p.trim() !== "").join(" ").slice(0, 100);
    const [row] = await tx.query<{ outcome: string }>("select private.webhook_clerk_user_sync($1, $2, $3, $4, $5) as outcome", [event.rowId, e.data.id, email, name, e.data.updated_at]);
    if (row?.outcome === "applied") return { applied: true };
    return { applied: false, note: row?.outcome === "deleted" ? "user deleted" : "superseded by a newer event" };
  },
};

const userDeleted = z.object({ type: z.literal("user.deleted"), timestamp: eventTimestamp, data: z.object({ id: userId }) });

/**
 * IDN-3: a user deleted at Clerk loses every local membership and session at once (private.webhook_clerk_user_delete;
 * resolveSession refuses that user's tokens from the next request on). Each removal is audited in its org (AUD-3).
 */
const onUserDeleted: EventHandler<z.infer<typeof userDeleted>> = {
  schema: userDeleted,
  target: (e) => ({ kind: "user", externalId: e.data.id }),
  apply: outsideOrg,
  async applyOutsideOrg(tx, e, event) {
    const removed = await tx.query<{ org_id: string; role: string }>("select org_id, role from private.webhook_clerk_user_delete($1, $2, $3)", [event.rowId, e.data.id, e.timestamp ?? Date.now()]);
    for (const m of removed) {
      // audit_chain_head reads the org from the claims: this org, for this entry only.
      await tx.query("select set_config('request.jwt.claims', $1, true)", [JSON.stringify({ sub: "service:webhooks", o: { id: m.org_id, rol: "service" } })]);
      await appendAudit(tx, { orgId: m.org_id, actorType: "webhook", actorId: event.provider, action: "member.removed", targetType: "user", targetId: e.data.id, changes: { from: m.role, to: null, reason: "user.deleted", event: event.eventId } });
    }
    await tx.query("select private.webhook_user_scope_close()");
    await tx.query("select set_config('request.jwt.claims', '', true)");
    return { applied: true };
  },
};

const organizationCreated = z.object({
  type: z.literal("organization.created"),
  data: z.object({ id: orgId, name: z.string().max(256), slug: z.string().max(256).nullable().optional() }),
});

/** IDN-3: the local org whose id is the Clerk org id, unless JIT provisioning created it already. */
const onOrganizationCreated: EventHandler<z.infer<typeof organizationCreated>> = {
  schema: organizationCreated,
  target: (e) => ({ kind: "organization", externalId: e.data.id }),
  apply: outsideOrg,
  async applyOutsideOrg(tx, e, event) {
    const [row] = await tx.query<{ created: boolean }>("select private.webhook_clerk_org_create($1, $2, $3, $4) as created", [event.rowId, e.data.id, e.data.name, e.data.slug ?? null]);
    return row?.created ? { applied: true } : { applied: false, note: "organisation exists already" };
  },
};

const organizationDeleted = z.object({ type: z.literal("organization.deleted"), timestamp: eventTimestamp, data: z.object({ id: orgId }) });

/**
 * IDN-3: an org deleted at Clerk keeps its local row and its audit trail (never cascaded), loses every membership
 * (tombstoned: no token or late event restores one) and is marked deleted, so nothing in it is reachable.
 */
const onOrganizationDeleted: EventHandler<z.infer<typeof organizationDeleted>> = {
  schema: organizationDeleted,
  target: (e) => ({ kind: "organization", externalId: e.data.id }),
  async apply(tx, e, ctx) {
    const removed = await tx.query<{ user_id: string; role: string }>("select user_id, role from private.webhook_clerk_org_delete($1::timestamptz)", [new Date(e.timestamp ?? Date.now()).toISOString()]);
    await ctx.audit({ action: "organization.deleted", targetType: "organization", targetId: ctx.orgId, changes: { members_removed: removed.length } });
    return { applied: true };
  },
};

export const clerkAdapter: WebhookAdapter<z.infer<typeof envelope>> = {
  provider: "clerk",
  secrets: () => env.CLERK_WEBHOOK_SECRET,
  verify: verifySvix,
  envelope,
  identify: (e, headerEventId) => (headerEventId ? { eventId: headerEventId, eventType: e.type } : null),
  handlers: {
    "organization.updated": onOrganizationUpdated,
    "organization.created": onOrganizationCreated,
    "organization.deleted": onOrganizationDeleted,
    "organizationMembership.created": onMembership,
    "organizationMembership.updated": onMembership,
    "organizationMembership.deleted": onMembership,
    "user.created": onUser,
    "user.updated": onUser,
    "user.deleted": onUserDeleted,
  },
};
