import "server-only";
import type { Queryable } from "@/lib/db";
import type { OrgRole } from "@/lib/auth/claims";

export interface MemberRow {
  user_id: string;
  email: string | null;
  display_name: string | null;
  role: OrgRole;
  joined_at: Date;
}

export interface InviteRow {
  id: string;
  email: string;
  role: OrgRole;
  created_at: Date;
  expires_at: Date;
  created_by: string;
  inviter: string | null;
}

/** TEN-3: the members of the caller's org (RLS: memberships and users of that org only). */
export function listMembers(tx: Queryable): Promise<MemberRow[]> {
  return tx.query<MemberRow>(
    `select m.user_id, u.email, u.display_name, m.role, m.created_at as joined_at
       from public.memberships m join public.users u on u.id = m.user_id
      where m.org_id = (select private.org_id())
      order by case m.role when 'owner' then 0 when 'admin' then 1 else 2 end, u.email, m.user_id
      limit 500`,
  );
}

/** Pending invites (RLS: owners and admins of the org only; nobody else sees a row). */
export function listPendingInvites(tx: Queryable): Promise<InviteRow[]> {
  return tx.query<InviteRow>(
    `select i.id, i.email, i.role, i.created_at, i.expires_at, i.created_by, coalesce(u.display_name, u.email) as inviter
       from public.org_invites i left join public.users u on u.id = i.created_by
      where i.revoked_at is null and i.redeemed_at is null and i.expires_at > now()
      order by i.created_at desc
      limit 200`,
  );
}
