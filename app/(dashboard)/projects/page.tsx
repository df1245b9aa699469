import type { Metadata } from "next";
import { definePage } from "@/lib/pages/define-page";
import { hasRole } from "@/lib/actions/pipeline";
import { listProjects } from "@/lib/projects";
import { CreateProjectForm } from "@/components/projects/create-project-form";
import { ProjectRow } from "@/components/projects/project-row";

export const metadata: Metadata = { title: "Projects" };

// RLS limits the list to the active org; no org filter in the query is needed, and none could widen it.
export default definePage({ name: "projects.list", minimumRole: "guest", read: ({ tx }) => listProjects(tx) }, function ProjectsPage({ data: projects, session }) {
  const canDelete = hasRole(session, "admin");
  // TEN-7: a guest sees the projects shared with it (RLS) and creates none.
  const guest = !hasRole(session, "member");
  return (
    <div className="flex flex-col gap-6">
      <h1 className="text-2xl font-semibold">{guest ? "Projects shared with you" : "Projects"}</h1>
      {guest ? (
        <p className="text-sm text-slate-600" data-testid="guest-notice">
          You are a guest of this organisation: you see only the projects its members shared with you.
        </p>
      ) : (
        <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
          <CreateProjectForm />
        </section>
      )}
      <section aria-labelledby="project-list" className="rounded-lg border border-slate-200 bg-white px-4 shadow-sm">
        <h2 id="project-list" className="sr-only">
          Project list
        </h2>
        {projects.length === 0 ? (
          <p className="py-6 text-slate-600">{guest ? "Nothing is shared with you here any more." : "No projects yet. Create the first one above."}</p>
        ) : (
          <ul className="divide-y divide-slate-200">
            {projects.map((p) => (
              <ProjectRow key={p.id} project={{ id: p.id, name: p.name, createdAt: new Date(p.created_at).toISOString() }} canDelete={canDelete} />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
});
