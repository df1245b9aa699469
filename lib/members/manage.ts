import "server-only";
import { env } from "@/lib/env";
import type { Queryable } from "@/lib/db";
import { defineAction } from "@/lib/actions/pipeline";
import { AppError } from "@/lib/errors";
import type { OrgRole } from "@/lib/auth/claims";
import { changeRoleSchema, inviteMemberSchema, leaveOrgSchema, removeMemberSchema, revokeInviteSchema } from "./schemas";
import { generateInviteToken, inviteTokenHash } from "./tokens";
import { assertMemberSeatAvailable } from "./limits";
import { membershipCall } from "./db-errors";
import { clerkChangeRole, clerkInvite, clerkRemoveMember, clerkRevokeInvite } from "./clerk-api";

/**
 * TEN-3: members and roles as server actions. Each runs through defineAction (authenticate -> Zod -> role -> tenant
 * transaction -> audit, AUD-3); the database functions re-check the caller's role from the memberships table and
 * apply the escalation rule (nobody grants, changes or removes a role above their own) and the last-owner rule.
 * With Clerk configured, Clerk's Backend API is called inside the transaction after the database accepted the
 * change, so a Clerk refusal rolls the local change back.
 */

export interface CreatedInvite {
  id: string;
  email: string;
  role: OrgRole;
  expiresAt: Date;
  /** Embedded provider only: the link, returned once. Show it, never store or log it. */
  link: string | null;
}

const RANK: Record<OrgRole, number> = { guest: 0, member: 1, admin: 2, owner: 3 };
const clerkConfigured = () => env.identityProvider === "clerk";

// TEN-4: a user id that is not a member of the caller's org is the same 404 as one that does not exist.
const memberNotFound = () => new AppError("not_found", "That member does not exist.");

export const inviteMember = defineAction({
  name: "members.invite",
  schema: inviteMemberSchema,
  minimumRole: "admin",
  secondFactor: "present",
  async run({ input, session, tx, audit }): Promise<CreatedInvite> {
    await assertMemberSeatAvailable(tx, session.orgId);
    const [existing] = await tx.query(
      "select 1 from public.memberships m join public.users u on u.id = m.user_id where m.org_id = $1 and u.email = $2",
      [session.orgId, input.email],
    );
    if (existing) throw new AppError("conflict", "That person is already a member.");
    const expiresAt = new Date(Date.now() + env.MEMBER_INVITE_TTL_DAYS * 86_400_000);
    // Defence in depth: the app refuses an escalation before anything is sent to Clerk; the database refuses it too.
    if (RANK[input.role] > RANK[session.orgRole]) throw new AppError("forbidden", "You cannot grant, change or remove a role above your own.");
    const token = clerkConfigured() ? null : generateInviteToken();
    const invitation = token
      ? null
      : await clerkInvite({ orgId: session.orgId, email: input.email, role: input.role, inviterUserId: session.userId, expiresInDays: env.MEMBER_INVITE_TTL_DAYS });
    let id: string;
    try {
      const [row] = await membershipCall(() =>
        tx.query<{ id: string }>("select private.create_org_invite($1, $2, $3, $4, $5) as id", [
          input.email,
          input.role,
          token ? inviteTokenHash(token) : null,
          invitation?.id ?? null,
          expiresAt.toISOString(),
        ]),
      );
      id = row!.id;
    } catch (error) {
      // The database refused what Clerk accepted: withdraw the invitation at Clerk too.
      if (invitation) await clerkRevokeInvite({ orgId: session.orgId, invitationId: invitation.id, requestingUserId: session.userId }).catch(() => undefined);
      throw error;
    }
    await audit({ action: "member.invite_created", targetType: "invite", targetId: id, changes: { email: input.email, role: input.role, expiresAt: expiresAt.toISOString() } });
    return { id, email: input.email, role: input.role, expiresAt, link: token ? new URL(`/invite/${token}`, env.APP_URL).toString() : null };
  },
});

export const revokeInvite = defineAction({
  name: "members.revoke_invite",
  schema: revokeInviteSchema,
  minimumRole: "admin",
  secondFactor: "present",
  async run({ input, session, tx, audit }) {
    const [row] = await tx.query<{ email: string; role: OrgRole; clerk_invitation_id: string | null }>(
      "select email, role, clerk_invitation_id from private.revoke_org_invite($1)",
      [input.id],
    );
    if (!row) throw new AppError("not_found", "That invite does not exist or is no longer pending.");
    if (row.clerk_invitation_id) await clerkRevokeInvite({ orgId: session.orgId, invitationId: row.clerk_invitation_id, requestingUserId: session.userId });
    await audit({ action: "member.invite_revoked", targetType: "invite", targetId: input.id, changes: { email: row.email, role: row.role } });
    return { id: input.id };
  },
});

export const changeMemberRole = defineAction({
  name: "members.change_role",
  schema: changeRoleSchema,
  minimumRole: "admin",
  secondFactor: "present",
  async run({ input, session, tx, audit }) {
    const [row] = await membershipCall(() =>
      tx.query<{ previous_role: OrgRole }>("select previous_role from private.change_member_role($1, $2)", [input.userId, input.role]),
    );
    if (!row) throw memberNotFound();
    if (clerkConfigured()) await clerkChangeRole({ orgId: session.orgId, userId: input.userId, role: input.role });
    if (clerkConfigured()) await recordLocalVersion(tx, session.orgId, input.userId, false);
    await audit({ action: "member.role_changed", targetType: "user", targetId: input.userId, changes: { role: { from: row.previous_role, to: input.role } } });
    return { userId: input.userId, role: input.role };
  },
});

export const removeMember = defineAction({
  name: "members.remove",
  schema: removeMemberSchema,
  minimumRole: "admin",
  secondFactor: "present",
  async run({ input, session, tx, audit }) {
    const [row] = await membershipCall(() => tx.query<{ previous_role: OrgRole }>("select previous_role from private.remove_member($1)", [input.userId]));
    if (!row) throw memberNotFound();
    if (clerkConfigured()) await clerkRemoveMember({ orgId: session.orgId, userId: input.userId });
    if (clerkConfigured()) await recordLocalVersion(tx, session.orgId, input.userId, true);
    await audit({ action: "member.removed", targetType: "user", targetId: input.userId, changes: { role: row.previous_role } });
    return { userId: input.userId };
  },
});

export const leaveOrganization = defineAction({
  name: "members.leave",
  schema: leaveOrgSchema,
  minimumRole: "member",
  async run({ session, tx, audit }) {
    const [row] = await membershipCall(() => tx.query<{ previous_role: OrgRole }>("select previous_role from private.leave_org()"));
    if (!row) throw memberNotFound();
    if (clerkConfigured()) await clerkRemoveMember({ orgId: session.orgId, userId: session.userId });
    if (clerkConfigured()) await recordLocalVersion(tx, session.orgId, session.userId, true);
    await audit({ action: "member.left", targetType: "user", targetId: session.userId, changes: { role: row.previous_role } });
    return { userId: session.userId };
  },
});

/**
 * With Clerk: the change just made through Clerk's API is also the newest known version of that membership, so a
 * still-valid older token's JIT provisioning cannot undo it before Clerk's webhook arrives.
 */
async function recordLocalVersion(tx: Queryable, orgId: string, userId: string, deleted: boolean) {
  const { applyClerkMembership } = await import("./sync");
  const [role] = deleted ? [null] : await tx.query<{ role: OrgRole }>("select role from public.memberships where org_id = $1 and user_id = $2", [orgId, userId]).then((r) => r.map((x) => x.role));
  await applyClerkMembership(tx, { clerkOrgId: orgId, clerkUserId: userId, role: role ?? null, deleted, eventTime: new Date() });
}
