import "server-only";
import { randomBytes } from "node:crypto";
import { withAnonymous, withEmbeddedIdp, withTenant } from "@/lib/db";
import type { Session } from "@/lib/auth/claims";
import { hashPassword } from "@/lib/auth/embedded/sign-in";
import { appendAudit } from "@/lib/audit/writer";
import { logger } from "@/lib/observability/logger";
import type { RequestContext } from "@/lib/http/request-context";
import { projectLinkTokenHash } from "./tokens";

export type LinkStatus = "valid" | "invalid" | "expired" | "revoked" | "used" | "wrong_project";

export interface LinkPreview {
  status: LinkStatus;
  orgId?: string;
  orgName?: string;
  projectId?: string;
  projectName?: string;
  role?: "viewer" | "editor";
  expiresAt?: Date;
}

/**
 * What the link page says about a link for the project named in its URL. A tampered or unknown token is "invalid";
 * a real token of another project is "wrong_project" and names nothing of either project.
 */
export async function previewProjectLink(projectId: string, token: string): Promise<LinkPreview> {
  const hash = projectLinkTokenHash(token);
  if (!hash) return { status: "invalid" };
  const [row] = await withAnonymous((tx) =>
    tx.query<{ status: LinkStatus; org_id: string; org_name: string; project_id: string; project_name: string; role: "viewer" | "editor"; expires_at: Date }>(
      "select * from private.project_link_preview($1)",
      [hash],
    ),
  );
  if (!row) return { status: "invalid" };
  if (row.project_id !== projectId) return { status: "wrong_project" };
  return { status: row.status, orgId: row.org_id, orgName: row.org_name, projectId: row.project_id, projectName: row.project_name, role: row.role, expiresAt: new Date(row.expires_at) };
}

export type LinkRedeemOutcome = "granted" | "already" | "invalid" | "expired" | "revoked" | "used" | "wrong_project";

export interface LinkRedemption {
  outcome: LinkRedeemOutcome;
  orgId: string | null;
  projectId: string | null;
  role: "viewer" | "editor" | null;
  linkId: string | null;
}

/**
 * TEN-7: redeem a link as the signed-in user (any active org). The grant is added in the link's org (a person who is
 * not a member becomes a guest there); the same person redeeming again gets "already" and uses nothing up.
 */
export async function redeemProjectLink(session: Session, projectId: string, token: string): Promise<LinkRedemption> {
  const hash = projectLinkTokenHash(token);
  if (!hash) return { outcome: "invalid", orgId: null, projectId: null, role: null, linkId: null };
  const [row] = await withTenant(session.claims, (tx) =>
    tx.query<{ outcome: LinkRedeemOutcome; org_id: string | null; project_id: string | null; role: "viewer" | "editor" | null; link_id: string | null }>(
      "select * from private.redeem_project_link($1, $2)",
      [hash, projectId],
    ),
  );
  return { outcome: row!.outcome, orgId: row!.org_id, projectId: row!.project_id, role: row!.role, linkId: row!.link_id };
}

/** AUD-3: the redemption's record, in the link's org, by the person who redeemed it (under their session for it). */
export async function auditLinkRedeemed(orgSession: Session, redemption: LinkRedemption, request: RequestContext): Promise<void> {
  try {
    await withTenant(orgSession.claims, (tx) =>
      appendAudit(tx, {
        orgId: orgSession.orgId!,
        actorType: "user",
        actorId: orgSession.userId,
        action: "project_link.redeemed",
        targetType: "project",
        targetId: redemption.projectId,
        changes: { link_id: redemption.linkId, role: redemption.role },
        ...request,
      }),
    );
  } catch (error) {
    logger.error({ scope: "grants", err: error, orgId: orgSession.orgId }, "audit of a link redemption failed");
  }
}

/**
 * Embedded provider: someone holding a live link and no account creates one (any email without an account), then
 * signs in and redeems. Returns the new user id, or null when the link is not live or the email has an account.
 */
export async function createLinkAccount(token: string, input: { email: string; displayName: string; password: string }): Promise<string | null> {
  const hash = projectLinkTokenHash(token);
  if (!hash) return null;
  const userId = `user_${randomBytes(12).toString("hex")}`;
  const passwordHash = await hashPassword(input.password);
  const [row] = await withEmbeddedIdp((tx) =>
    tx.query<{ created: boolean }>("select idp.create_link_account($1, $2, $3, $4, $5) as created", [hash, userId, input.email, input.displayName, passwordHash]),
  );
  return row?.created ? userId : null;
}
