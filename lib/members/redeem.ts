import "server-only";
import { randomBytes } from "node:crypto";
import { withAnonymous, withEmbeddedIdp, withTenant } from "@/lib/db";
import type { OrgRole, Session } from "@/lib/auth/claims";
import { hashPassword } from "@/lib/auth/embedded/sign-in";
import { appendAudit } from "@/lib/audit/writer";
import { logger } from "@/lib/observability/logger";
import type { RequestContext } from "@/lib/http/request-context";
import { inviteTokenHash } from "./tokens";
import { assertMemberSeatAvailable } from "./limits";

export type InviteStatus = "valid" | "invalid" | "expired" | "revoked" | "used";

export interface InvitePreview {
  status: InviteStatus;
  orgId?: string;
  orgName?: string;
  role?: OrgRole;
  email?: string;
  expiresAt?: Date;
  accountExists?: boolean;
}

/** What the invite page says about a link. A tampered or unknown token is "invalid", whatever it looks like. */
export async function previewInvite(token: string): Promise<InvitePreview> {
  const hash = inviteTokenHash(token);
  if (!hash) return { status: "invalid" };
  const [row] = await withAnonymous((tx) =>
    tx.query<{ status: InviteStatus; org_id: string; org_name: string; role: OrgRole; email: string; expires_at: Date; account_exists: boolean }>(
      "select * from private.org_invite_preview($1)",
      [hash],
    ),
  );
  if (!row) return { status: "invalid" };
  return { status: row.status, orgId: row.org_id, orgName: row.org_name, role: row.role, email: row.email, expiresAt: new Date(row.expires_at), accountExists: row.account_exists };
}

export type RedeemOutcome = "joined" | "already_member" | "invalid" | "expired" | "revoked" | "used" | "wrong_account";

/**
 * TEN-3: redeem a link in the signed-in user's own tenant transaction. One use, for the invited email only; the
 * membership is added to the invite's org, whatever org the session has active. The audit entry is written in that
 * org under the user's new session for it (the redeeming session's claims name another org, or none), so it is a
 * second transaction: a failure there is logged, never undoes the membership.
 */
export async function redeemInvite(session: Session, token: string): Promise<{ outcome: RedeemOutcome; orgId: string | null; role: OrgRole | null; inviteId: string | null }> {
  const hash = inviteTokenHash(token);
  if (!hash) return { outcome: "invalid", orgId: null, role: null, inviteId: null };
  const preview = await previewInvite(token);
  const [row] = await withTenant(session.claims, async (tx) => {
    if (preview.orgId) await assertMemberSeatAvailable(tx, preview.orgId);
    return tx.query<{ outcome: RedeemOutcome; org_id: string | null; role: OrgRole | null; invite_id: string | null }>(
      "select outcome, org_id, role, invite_id from private.redeem_org_invite($1)",
      [hash],
    );
  });
  return { outcome: row!.outcome, orgId: row!.org_id, role: row!.role, inviteId: row!.invite_id };
}

/** AUD-3: the redemption's record, in the invite's org, by the new member. */
export async function auditInviteRedeemed(orgSession: Session, inviteId: string, role: OrgRole, request: RequestContext): Promise<void> {
  try {
    await withTenant(orgSession.claims, (tx) =>
      appendAudit(tx, { orgId: orgSession.orgId!, actorType: "user", actorId: orgSession.userId, action: "member.invite_redeemed", targetType: "invite", targetId: inviteId, changes: { role }, ...request }),
    );
  } catch (error) {
    logger.error({ scope: "members", err: error, orgId: orgSession.orgId }, "audit of an invite redemption failed");
  }
}

/**
 * Embedded provider has no open sign-up: an invited person without an account creates one here, with the invited
 * email, while the link is live. Returns the new user id, or null when the link is not live or the email has an
 * account already.
 */
export async function createInvitedAccount(token: string, input: { displayName: string; password: string }): Promise<string | null> {
  const hash = inviteTokenHash(token);
  if (!hash) return null;
  const userId = `user_${randomBytes(12).toString("hex")}`;
  const passwordHash = await hashPassword(input.password);
  const [row] = await withEmbeddedIdp((tx) =>
    tx.query<{ created: boolean }>("select idp.create_invited_account($1, $2, $3, $4) as created", [hash, userId, input.displayName, passwordHash]),
  );
  return row?.created ? userId : null;
}
