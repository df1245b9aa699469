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
  return (
    <div className="flex flex-col gap-6">
      <h1 className="text-2xl font-semibold">Projects</h1>
      <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
        <CreateProjectForm />
      </section>
      <section aria-labelledby="project-list" className="rounded-lg border border-slate-200 bg-white px-4 shadow-sm">
        <h2 id="project-list" className="sr-only">
          Project list
        </h2>
        {projects.length === 0 ? (
          <p className="py-6 text-slate-600">No projects yet. Create the first one above.</p>
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
