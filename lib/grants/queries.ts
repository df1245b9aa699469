import "server-only";
import type { Queryable } from "@/lib/db";
import type { BasePermission, ProjectRole } from "./schemas";

export interface GrantRow {
  user_id: string;
  email: string | null;
  display_name: string | null;
  role: ProjectRole;
  expires_at: Date | null;
  member_role: string | null;
  live: boolean;
}

export interface LinkRow {
  id: string;
  role: "viewer" | "editor";
  uses: number;
  max_uses: number;
  created_at: Date;
  expires_at: Date;
  creator: string | null;
}

/** A project's grants (RLS: its managers and the org's owners and admins), live and expired. */
export function listProjectGrants(tx: Queryable, projectId: string): Promise<GrantRow[]> {
  return tx.query<GrantRow>(
    `select g.user_id, u.email, u.display_name, g.role, g.expires_at, m.role as member_role,
            (g.expires_at is null or g.expires_at > now()) as live
       from public.project_grants g
       left join public.users u on u.id = g.user_id
       left join public.memberships m on m.org_id = g.org_id and m.user_id = g.user_id
      where g.project_id = $1
      order by live desc, u.email, g.user_id
      limit 500`,
    [projectId],
  );
}

/** The project's links still usable (not revoked, not used up, not expired). */
export function listPendingLinks(tx: Queryable, projectId: string): Promise<LinkRow[]> {
  return tx.query<LinkRow>(
    `select l.id, l.role, l.uses, l.max_uses, l.created_at, l.expires_at, coalesce(u.display_name, u.email) as creator
       from public.project_invite_links l left join public.users u on u.id = l.created_by
      where l.project_id = $1 and l.revoked_at is null and l.uses < l.max_uses and l.expires_at > now()
      order by l.created_at desc
      limit 200`,
    [projectId],
  );
}

export async function basePermissionOf(tx: Queryable): Promise<BasePermission> {
  const [row] = await tx.query<{ base_permission: BasePermission }>("select base_permission from public.organizations where id = (select private.org_id())");
  return row?.base_permission ?? "read";
}
