import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { getSession } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { viewProject } from "@/lib/projects";

export const metadata: Metadata = { title: "Project" };

export default async function ProjectPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const session = await getSession();
  if (!session) redirect("/sign-in");
  const result = await viewProject(session, { id }, await currentRequestContext());
  // TEN-4: another org's project, a malformed id and a missing one all look the same: not found.
  if (!result.ok && (result.status === 404 || result.status === 422)) notFound();
  if (!result.ok) throw new Error(result.message);
  const project = result.data;
  return (
    <div className="flex flex-col gap-4">
      <Link href="/projects" className="text-sm text-indigo-700 hover:underline">
        ← All projects
      </Link>
      <h1 className="text-2xl font-semibold">{project.name}</h1>
      <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-2 text-sm">
        <dt className="text-slate-500">Created</dt>
        <dd>{new Date(project.created_at).toLocaleString("en-GB")}</dd>
        <dt className="text-slate-500">Created by</dt>
        <dd>
          <code>{project.created_by}</code>
        </dd>
        <dt className="text-slate-500">Project id</dt>
        <dd>
          <code>{project.id}</code>
        </dd>
      </dl>
      <p className="text-sm text-slate-600">Documents arrive with the files feature.</p>
    </div>
  );
}
