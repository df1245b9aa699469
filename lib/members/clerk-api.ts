import "server-only";
import { createClerkClient, type ClerkClient } from "@clerk/backend";
import { env } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { logger } from "@/lib/observability/logger";
import type { OrgRole } from "@/lib/auth/claims";

/**
 * TEN-3 with Clerk configured: invitations, role changes and removals go through Clerk's Backend API first; the
 * local copy is updated in the same transaction (and kept in step afterwards by Clerk's webhooks, lib/members/sync).
 * Owners are Clerk's custom role `org:owner`, admins and members Clerk's built-in `org:admin` and `org:member`, guests
 * (TEN-7) the custom role `org:guest`.
 */
export const CLERK_ROLE: Record<OrgRole, string> = { owner: "org:owner", admin: "org:admin", member: "org:member", guest: "org:guest" };

let client: ClerkClient | undefined;
function clerk(): ClerkClient {
  client ??= createClerkClient({ secretKey: env.CLERK_SECRET_KEY, ...(env.CLERK_API_URL ? { apiUrl: env.CLERK_API_URL } : {}) });
  return client;
}

/** Clerk's answer as a clear message; its body and our secret key are never logged, only the status and codes. */
async function callClerk<T>(operation: string, call: (c: ClerkClient) => Promise<T>): Promise<T> {
  try {
    return await call(clerk());
  } catch (error) {
    const status = (error as { status?: number }).status;
    const codes = ((error as { errors?: { code?: string }[] }).errors ?? []).map((e) => e.code).filter(Boolean);
    logger.warn({ scope: "members", operation, status: status ?? null, codes }, "Clerk refused a member operation");
    if (status === 404) throw new AppError("not_found", "Clerk does not know that member or invitation.");
    if (status === 400 || status === 422 || status === 409 || status === 403) {
      if (codes.includes("duplicate_record") || codes.includes("already_a_member_in_organization")) {
        throw new AppError("conflict", "That person is already a member or has a pending invitation.");
      }
      throw new AppError("invalid_input", "Clerk refused this change. Nothing was changed.");
    }
    throw new AppError("unavailable", "Clerk could not be reached. Nothing was changed; please try again.");
  }
}

export function clerkInvite(input: { orgId: string; email: string; role: OrgRole; inviterUserId: string; expiresInDays: number }) {
  return callClerk("invite", (c) =>
    c.organizations.createOrganizationInvitation({
      organizationId: input.orgId,
      emailAddress: input.email,
      role: CLERK_ROLE[input.role],
      inviterUserId: input.inviterUserId,
      expiresInDays: input.expiresInDays,
      redirectUrl: new URL("/projects", env.APP_URL).toString(),
    }),
  );
}

export function clerkRevokeInvite(input: { orgId: string; invitationId: string; requestingUserId: string }) {
  return callClerk("revoke_invite", (c) =>
    c.organizations.revokeOrganizationInvitation({ organizationId: input.orgId, invitationId: input.invitationId, requestingUserId: input.requestingUserId }),
  );
}

export function clerkChangeRole(input: { orgId: string; userId: string; role: OrgRole }) {
  return callClerk("change_role", (c) => c.organizations.updateOrganizationMembership({ organizationId: input.orgId, userId: input.userId, role: CLERK_ROLE[input.role] }));
}

export function clerkRemoveMember(input: { orgId: string; userId: string }) {
  return callClerk("remove_member", (c) => c.organizations.deleteOrganizationMembership({ organizationId: input.orgId, userId: input.userId }));
}
