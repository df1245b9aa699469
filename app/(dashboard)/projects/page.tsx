import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getSession } from "@/lib/auth/current";
import { withTenant } from "@/lib/db";
import { listProjects } from "@/lib/projects";
import { CreateProjectForm } from "@/components/projects/create-project-form";
import { ProjectRow } from "@/components/projects/project-row";

export const metadata: Metadata = { title: "Projects" };

export default async function ProjectsPage() {
  const session = await getSession();
  if (!session) redirect("/sign-in");
  if (!session.orgId) {
    return <p className="text-slate-700">You are not a member of any organisation yet. Ask an admin to invite you.</p>;
  }
  // RLS limits this to the active org; no org filter in the query is needed, and none could widen it.
  const projects = await withTenant(session.claims, listProjects);
  const canDelete = session.orgRole === "owner" || session.orgRole === "admin";
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
}
