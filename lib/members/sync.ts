import "server-only";
import type { Queryable } from "@/lib/db";
import { normaliseOrgRole, type OrgRole } from "@/lib/auth/claims";

export interface ClerkMembershipChange {
  clerkOrgId: string;
  clerkUserId: string;
  /** Clerk's role (`org:admin`, `admin`, `org:owner`…); ignored when deleted. */
  role: string | null;
  deleted: boolean;
  /** When Clerk made the change (the event's timestamp, or the membership's updated_at). */
  eventTime: Date;
}

/**
 * applied: the local membership now matches the event; stale: an event at least as new was applied already, nothing
 * changed; last_owner: the event would leave the org without an owner, nothing changed (and a retry may apply it
 * once another owner exists).
 */
export type ClerkMembershipOutcome = "applied" | "stale" | "last_owner";

/**
 * IDN-3 / TEN-3 / WH-3: Clerk's organizationMembership.created / updated / deleted events applied to the local copy,
 * in the caller's transaction (the webhook kernel's exactly-once one). For its one statement the transaction switches
 * to the NOLOGIN role `membership_events`, whose one privilege is private.apply_clerk_membership, then back. An
 * event older than the newest applied to that membership changes nothing, and a deletion is remembered, so neither
 * a late "created" nor a still-valid older session token brings the membership back.
 * A role this product does not know is refused (no membership with rights nobody stated).
 */
export async function applyClerkMembership(tx: Queryable, change: ClerkMembershipChange): Promise<ClerkMembershipOutcome> {
  const role: OrgRole | null = change.deleted ? null : normaliseOrgRole(change.role ?? undefined);
  if (!change.deleted && !role) throw new Error(`unknown Clerk membership role: ${String(change.role).slice(0, 64)}`);
  if (Number.isNaN(change.eventTime.getTime())) throw new Error("membership event without a valid time");
  const [{ current }] = (await tx.query<{ current: string }>("select current_user::text as current")) as [{ current: string }];
  await tx.query("select set_config('role', 'membership_events', true)");
  const [row] = await tx.query<{ outcome: ClerkMembershipOutcome }>(
    "select private.apply_clerk_membership($1, $2, $3, $4, $5::timestamptz) as outcome",
    [change.clerkOrgId, change.clerkUserId, role, change.deleted, change.eventTime.toISOString()],
  );
  await tx.query("select set_config('role', $1, true)", [current]);
  return row!.outcome;
}
