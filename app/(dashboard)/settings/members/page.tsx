import type { Metadata } from "next";
import { definePage } from "@/lib/pages/define-page";
import { hasRole } from "@/lib/actions/pipeline";
import { listMembers, listPendingInvites } from "@/lib/members";
import { InviteMemberForm } from "@/components/members/invite-member-form";
import { MemberControls, LeaveOrganizationForm, RevokeInviteForm } from "@/components/members/member-controls";
import { BasePermissionForm } from "@/components/grants/base-permission-form";
import { basePermissionOf } from "@/lib/grants";
import { formatDate } from "@/lib/format/date";

export const metadata: Metadata = { title: "Members" };

const RANK = { guest: 0, member: 1, admin: 2, owner: 3 } as const;
const utc = (d: Date | string) => formatDate(d);

/** TEN-3: every member sees the org's members; owners and admins also invite, re-role and remove. */
export default definePage(
  {
    name: "settings.members",
    minimumRole: "member",
    async read({ tx, session }) {
      const manage = hasRole(session, "admin");
      return { members: await listMembers(tx), invites: manage ? await listPendingInvites(tx) : [], manage, base: manage ? await basePermissionOf(tx) : null };
    },
  },
  ({ data, session }) => {
    const roles = session.orgRole === "owner" ? (["owner", "admin", "member"] as const) : (["admin", "member"] as const);
    return (
      <div className="flex flex-col gap-8">
        <div>
          <h1 className="text-2xl font-semibold">Members</h1>
          <p className="mt-1 text-sm text-slate-600">Owners and admins invite, change roles and remove members. Nobody grants a role above their own, and every organisation keeps at least one owner.</p>
        </div>

        {data.manage ? (
          <section aria-labelledby="invite-heading" className="rounded-lg border border-slate-200 bg-white p-4 sm:p-6">
            <h2 id="invite-heading" className="text-lg font-medium">
              Invite a member
            </h2>
            <InviteMemberForm roles={[...roles]} />
          </section>
        ) : null}

        {data.manage && data.base ? (
          <section id="base-permission" aria-labelledby="base-heading" className="rounded-lg border border-slate-200 bg-white p-4 sm:p-6">
            <h2 id="base-heading" className="text-lg font-medium">
              Base permission
            </h2>
            <p className="mt-1 text-sm text-slate-600">What members get on projects they hold no grant for. Owners and admins always have every project; guests only what is shared with them.</p>
            <BasePermissionForm current={data.base} />
          </section>
        ) : null}

        <section aria-labelledby="members-heading">
          <h2 id="members-heading" className="text-lg font-medium">
            Members ({data.members.length})
          </h2>
          <ul className="mt-3 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
            {data.members.map((m) => (
              <li key={m.user_id} className="flex flex-col gap-3 p-4 sm:flex-row sm:items-center sm:justify-between" data-testid="member-row">
                <div className="min-w-0">
                  <p className="min-w-0 break-words font-medium">
                    {m.display_name ?? m.email ?? m.user_id}
                    {m.user_id === session.userId ? <span className="ml-2 text-xs text-slate-500">(you)</span> : null}
                  </p>
                  <p className="min-w-0 break-words text-sm text-slate-600">{m.email ?? "—"}</p>
                  <p className="text-xs text-slate-500">
                    <span className="font-medium text-slate-700">{m.role}</span> · joined {utc(m.joined_at)}
                  </p>
                </div>
                {/* Only roles at or below one's own can be managed (the database enforces it too). */}
                {data.manage && m.user_id !== session.userId && RANK[m.role] <= RANK[session.orgRole ?? "member"] ? (
                  <MemberControls userId={m.user_id} name={m.display_name ?? m.email ?? m.user_id} role={m.role} roles={[...roles]} />
                ) : null}
              </li>
            ))}
          </ul>
        </section>

        {data.manage ? (
          <section aria-labelledby="invites-heading">
            <h2 id="invites-heading" className="text-lg font-medium">
              Pending invites
            </h2>
            {data.invites.length === 0 ? (
              <p className="mt-2 text-sm text-slate-600">No pending invites.</p>
            ) : (
              <ul className="mt-3 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
                {data.invites.map((i) => (
                  <li key={i.id} className="flex flex-col gap-2 p-4 sm:flex-row sm:items-center sm:justify-between" data-testid="invite-row">
                    <div className="min-w-0">
                      <p className="min-w-0 break-words font-medium">{i.email}</p>
                      <p className="text-xs text-slate-500">
                        {i.role} · invited by {i.inviter ?? "a former member"} · expires {utc(i.expires_at)}
                      </p>
                    </div>
                    <RevokeInviteForm id={i.id} email={i.email} />
                  </li>
                ))}
              </ul>
            )}
          </section>
        ) : null}

        <section aria-labelledby="leave-heading" className="rounded-lg border border-red-200 bg-white p-4 sm:p-6">
          <h2 id="leave-heading" className="text-lg font-medium">
            Leave organisation
          </h2>
          <p className="mt-1 text-sm text-slate-600">You lose access at once. The last owner cannot leave.</p>
          <LeaveOrganizationForm />
        </section>
      </div>
    );
  },
);
