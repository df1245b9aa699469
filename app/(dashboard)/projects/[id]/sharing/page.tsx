import type { Metadata } from "next";
import Link from "next/link";
import { definePage } from "@/lib/pages/define-page";
import { getProject } from "@/lib/projects";
import { viewProjectSchema } from "@/lib/projects/schemas";
import { NotFoundError } from "@/lib/errors";
import { hasRole } from "@/lib/actions/pipeline";
import { LEVELS, basePermissionOf, listPendingLinks, listProjectGrants, projectLevel } from "@/lib/grants";
import { GrantAccessForm, GrantControls } from "@/components/grants/grant-forms";
import { CreateLinkForm, RevokeLinkForm } from "@/components/grants/link-forms";
import { formatDateTime } from "@/lib/format/date";

export const metadata: Metadata = { title: "Sharing" };

const utc = (d: Date | string) => formatDateTime(d);

// TEN-7: who has access to one project, for its managers and the org's owners and admins. For anyone else the page
// does not exist (404, as every page a role may not use; a project of another org is a recorded probe, TEN-4).
export default definePage(
  {
    name: "projects.sharing",
    minimumRole: "member",
    params: viewProjectSchema,
    read: async ({ tx, params, session }) => {
      const project = await getProject(tx, params.id);
      if ((await projectLevel(tx, project.id)) < LEVELS.manage) throw new NotFoundError("project", project.id);
      return {
        project,
        grants: await listProjectGrants(tx, project.id),
        links: await listPendingLinks(tx, project.id),
        base: await basePermissionOf(tx),
        isAdmin: hasRole(session, "admin"),
      };
    },
  },
  function SharingPage({ data }) {
    const { project, grants, links, base } = data;
    return (
      <div className="flex flex-col gap-8">
        <div>
          <Link href={`/projects/${project.id}`} className="text-sm text-indigo-700 hover:underline">
            ← {project.name}
          </Link>
          <h1 className="mt-2 text-2xl font-semibold">Sharing</h1>
          <p className="mt-1 text-sm text-slate-600">
            Owners and admins have every project. Other members have <strong>{base === "none" ? "no access" : base === "read" ? "read access" : "write access"}</strong> to
            projects by default{data.isAdmin ? (
              <>
                {" "}(<Link href="/settings/members#base-permission" className="text-indigo-700 underline">change</Link>)
              </>
            ) : null}
            ; a grant raises it for this project. Viewers read, editors also add and change documents and videos, managers also manage this page. People outside the organisation become guests: they see only the projects shared with them.
          </p>
        </div>

        <section aria-labelledby="grant-heading" className="rounded-lg border border-slate-200 bg-white p-4 sm:p-6">
          <h2 id="grant-heading" className="text-lg font-medium">
            Share with someone
          </h2>
          <GrantAccessForm projectId={project.id} />
        </section>

        <section aria-labelledby="grants-heading">
          <h2 id="grants-heading" className="text-lg font-medium">
            People with access ({grants.length})
          </h2>
          {grants.length === 0 ? (
            <p className="mt-2 text-sm text-slate-600">Nobody has a grant on this project yet.</p>
          ) : (
            <ul className="mt-3 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
              {grants.map((g) => (
                <li key={g.user_id} className="flex flex-col gap-3 p-4 sm:flex-row sm:items-center sm:justify-between" data-testid="grant-row">
                  <div className="min-w-0">
                    <p className="min-w-0 break-words font-medium">{g.display_name ?? g.email ?? g.user_id}</p>
                    <p className="min-w-0 break-words text-sm text-slate-600">{g.email ?? "—"}</p>
                    <p className="text-xs text-slate-600">
                      <span className="font-medium text-slate-800">{g.role}</span>
                      {g.member_role === "guest" ? " · guest" : ""} ·{" "}
                      {g.expires_at ? (g.live ? `until ${utc(g.expires_at)}` : <span className="font-medium text-red-700">expired {utc(g.expires_at)}</span>) : "no expiry"}
                    </p>
                  </div>
                  <GrantControls projectId={project.id} userId={g.user_id} name={g.display_name ?? g.email ?? g.user_id} role={g.role} guest={g.member_role === "guest"} />
                </li>
              ))}
            </ul>
          )}
        </section>

        <section aria-labelledby="links-heading" className="rounded-lg border border-slate-200 bg-white p-4 sm:p-6">
          <h2 id="links-heading" className="text-lg font-medium">
            Invite links
          </h2>
          <p className="mt-1 text-sm text-slate-600">Anyone holding a link can sign in (or create an account) and get its role on this project, until it expires, is used up or revoked.</p>
          <CreateLinkForm projectId={project.id} />
          <h3 className="mt-6 font-medium">Pending links ({links.length})</h3>
          {links.length === 0 ? (
            <p className="mt-2 text-sm text-slate-600">No pending links.</p>
          ) : (
            <ul className="mt-3 divide-y divide-slate-200 rounded-lg border border-slate-200">
              {links.map((l) => (
                <li key={l.id} className="flex flex-col gap-2 p-4 sm:flex-row sm:items-center sm:justify-between" data-testid="link-row">
                  <p className="text-sm">
                    <span className="font-medium">{l.role}</span> · used {l.uses} of {l.max_uses} · expires {utc(l.expires_at)} · by {l.creator ?? "—"}
                  </p>
                  <RevokeLinkForm id={l.id} projectId={project.id} />
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    );
  },
);
