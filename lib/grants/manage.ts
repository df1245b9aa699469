import "server-only";
import { env } from "@/lib/env";
import { defineAction } from "@/lib/actions/pipeline";
import { AppError } from "@/lib/errors";
import { assertProjectLevel } from "./level";
import { grantCall } from "./db-errors";
import { generateProjectLinkToken, projectLinkTokenHash } from "./tokens";
import { basePermissionSchema, changeGrantSchema, createLinkSchema, revokeGrantSchema, revokeLinkSchema, setGrantSchema, type BasePermission, type ProjectRole } from "./schemas";

/**
 * TEN-7: project grants, invite links and the org's base permission, as server actions. Each runs through
 * defineAction (authenticate -> Zod -> role -> tenant transaction -> audit, AUD-3); the app checks the caller manages
 * the project (a 404 when it cannot even read it, TEN-4), and the database functions check it again from the tables.
 */

const expiryOf = (days: number | undefined) => (days === undefined ? null : new Date(Date.now() + days * 86_400_000));

export interface GrantResult {
  projectId: string;
  userId: string;
  role: ProjectRole;
  expiresAt: Date | null;
}

export const grantProjectAccess = defineAction({
  name: "grants.set",
  schema: setGrantSchema,
  minimumRole: "member",
  async run({ input, tx, audit }): Promise<GrantResult> {
    await assertProjectLevel(tx, input.projectId, "manage");
    const expiresAt = expiryOf(input.expiresInDays);
    const [row] = await grantCall(() =>
      tx.query<{ user_id: string; previous_role: ProjectRole | null; previous_expires_at: Date | null }>("select * from private.set_project_grant($1, $2, $3, $4)", [
        input.projectId,
        input.email,
        input.role,
        expiresAt?.toISOString() ?? null,
      ]),
    );
    if (!row) throw new AppError("forbidden", "Only the project's managers and the organisation's admins manage its sharing.");
    await audit({
      action: row.previous_role ? "project_grant.changed" : "project_grant.created",
      targetType: "project",
      targetId: input.projectId,
      changes: {
        user_id: row.user_id,
        role: row.previous_role ? { from: row.previous_role, to: input.role } : input.role,
        expires_at: expiresAt?.toISOString() ?? null,
      },
    });
    return { projectId: input.projectId, userId: row.user_id, role: input.role, expiresAt };
  },
});

export const changeProjectGrant = defineAction({
  name: "grants.change",
  schema: changeGrantSchema,
  minimumRole: "member",
  async run({ input, tx, audit }): Promise<GrantResult> {
    await assertProjectLevel(tx, input.projectId, "manage");
    const [current] = await tx.query<{ email: string | null }>(
      "select u.email from public.project_grants g join public.users u on u.id = g.user_id where g.project_id = $1 and g.user_id = $2",
      [input.projectId, input.userId],
    );
    if (!current?.email) throw new AppError("not_found", "That grant does not exist.");
    const expiresAt = expiryOf(input.expiresInDays);
    const [row] = await grantCall(() =>
      tx.query<{ previous_role: ProjectRole | null; previous_expires_at: Date | null }>("select * from private.set_project_grant($1, $2, $3, $4)", [
        input.projectId,
        current.email,
        input.role,
        expiresAt?.toISOString() ?? null,
      ]),
    );
    if (!row) throw new AppError("not_found", "That grant does not exist.");
    await audit({
      action: "project_grant.changed",
      targetType: "project",
      targetId: input.projectId,
      changes: { user_id: input.userId, role: { from: row.previous_role, to: input.role }, expires_at: { from: row.previous_expires_at, to: expiresAt?.toISOString() ?? null } },
    });
    return { projectId: input.projectId, userId: input.userId, role: input.role, expiresAt };
  },
});

export const revokeProjectGrant = defineAction({
  name: "grants.revoke",
  schema: revokeGrantSchema,
  minimumRole: "member",
  async run({ input, tx, audit }) {
    await assertProjectLevel(tx, input.projectId, "manage");
    const [row] = await tx.query<{ previous_role: ProjectRole; guest_removed: boolean }>("select * from private.revoke_project_grant($1, $2)", [input.projectId, input.userId]);
    if (!row) throw new AppError("not_found", "That grant does not exist.");
    await audit({
      action: "project_grant.revoked",
      targetType: "project",
      targetId: input.projectId,
      changes: { user_id: input.userId, role: row.previous_role, ...(row.guest_removed ? { guest_removed: true } : {}) },
    });
    return { projectId: input.projectId, userId: input.userId };
  },
});

export interface CreatedLink {
  id: string;
  projectId: string;
  role: "viewer" | "editor";
  expiresAt: Date;
  maxUses: number;
  /** The link, returned once. Show it, never store or log it. */
  link: string;
}

export const createProjectLink = defineAction({
  name: "grants.create_link",
  schema: createLinkSchema,
  minimumRole: "member",
  async run({ input, tx, audit }): Promise<CreatedLink> {
    await assertProjectLevel(tx, input.projectId, "manage");
    const token = generateProjectLinkToken();
    const expiresAt = new Date(Date.now() + input.expiresInDays * 86_400_000);
    const [row] = await grantCall(() =>
      tx.query<{ id: string | null }>("select private.create_project_link($1, $2, $3, $4, $5) as id", [
        input.projectId,
        input.role,
        projectLinkTokenHash(token),
        expiresAt.toISOString(),
        input.maxUses,
      ]),
    );
    if (!row?.id) throw new AppError("forbidden", "Only the project's managers and the organisation's admins manage its sharing.");
    await audit({ action: "project_link.created", targetType: "project", targetId: input.projectId, changes: { link_id: row.id, role: input.role, max_uses: input.maxUses, expires_at: expiresAt.toISOString() } });
    return { id: row.id, projectId: input.projectId, role: input.role, expiresAt, maxUses: input.maxUses, link: new URL(`/share/${input.projectId}/${token}`, env.APP_URL).toString() };
  },
});

export const revokeProjectLink = defineAction({
  name: "grants.revoke_link",
  schema: revokeLinkSchema,
  minimumRole: "member",
  async run({ input, tx, audit }) {
    const [row] = await tx.query<{ project_id: string; role: string }>("select * from private.revoke_project_link($1)", [input.id]);
    if (!row) throw new AppError("not_found", "That link does not exist or was revoked already.");
    await audit({ action: "project_link.revoked", targetType: "project", targetId: row.project_id, changes: { link_id: input.id, role: row.role } });
    return { id: input.id, projectId: row.project_id };
  },
});

export const setBasePermission = defineAction({
  name: "grants.base_permission",
  schema: basePermissionSchema,
  minimumRole: "admin",
  async run({ input, tx, audit }): Promise<{ permission: BasePermission }> {
    const [row] = await grantCall(() => tx.query<{ previous: BasePermission }>("select private.set_base_permission($1) as previous", [input.permission]));
    await audit({ action: "org.base_permission_changed", targetType: "organization", targetId: null, changes: { base_permission: { from: row?.previous ?? null, to: input.permission } } });
    return { permission: input.permission };
  },
});
