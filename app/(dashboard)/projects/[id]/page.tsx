import type { Metadata } from "next";
import Link from "next/link";
import { definePage } from "@/lib/pages/define-page";
import { getProject } from "@/lib/projects";
import { viewProjectSchema } from "@/lib/projects/schemas";
import { hasRole } from "@/lib/actions/pipeline";
import { LEVELS, projectLevel } from "@/lib/grants";
import { pageDocuments } from "@/lib/documents";
import { documentScanner } from "@/lib/documents/services";
import { env } from "@/lib/env";
import { isEnabled } from "@/lib/flags";
import { DocumentsPanel } from "@/components/documents/documents-panel";
import { formatDateTime } from "@/lib/format/date";

export const metadata: Metadata = { title: "Project" };

/** FILE-2: with no scanner, nothing leaves quarantine; the page says so instead of leaving documents silently pending. */
function scannerNotice(): string | null {
  if (documentScanner()) return null;
  return isEnabled("virus_scan")
    ? "No virus scanner is configured, so documents stay pending and cannot be downloaded. An administrator can configure ClamAV (CLAMAV_HOST, CLAMAV_SOCKET or CLAMSCAN_PATH)."
    : `Virus scanning is turned off (the virus_scan flag, ${env.flags.virus_scan.setBy}), so documents stay pending and cannot be downloaded.`;
}

// TEN-4: another org's project, a malformed id and a missing one all look the same: not found (the first recorded).
export default definePage(
  {
    name: "projects.view",
    minimumRole: "guest",
    params: viewProjectSchema,
    read: async ({ tx, params }) => {
      const project = await getProject(tx, params.id);
      // The newest 100 documents (FILE-2: each with its scan status; only clean ones offer a download).
      const documents = await pageDocuments(tx, { projectId: project.id, limit: 100 });
      // The creator by name (RLS: a guest sees only itself among the org's people, so others stay unnamed).
      const [creator] = await tx.query<{ label: string }>("select coalesce(display_name, email) as label from public.users where id = $1", [project.created_by]);
      return { ...project, creator: creator?.label ?? null, documents: documents.items, scannerNotice: scannerNotice(), level: await projectLevel(tx, project.id) };
    },
  },
  function ProjectPage({ data: project, session }) {
    return (
      <div className="flex flex-col gap-4">
        <Link href="/projects" className="text-sm text-indigo-700 hover:underline">
          ← All projects
        </Link>
        <h1 className="break-words text-2xl font-semibold">{project.name}</h1>
        <div className="flex flex-wrap gap-4 text-sm">
          <Link href={`/projects/${project.id}/videos`} className="text-indigo-700 hover:underline">Videos →</Link>
          {project.level >= LEVELS.manage ? (
            <Link href={`/projects/${project.id}/sharing`} className="text-indigo-700 hover:underline">Sharing →</Link>
          ) : null}
        </div>
        {project.level < LEVELS.write ? (
          <p role="status" className="rounded-md border border-slate-300 bg-slate-50 p-3 text-sm text-slate-700" data-testid="read-only-project">
            You can view this project. Ask one of its managers for editor access to add documents or videos.
          </p>
        ) : null}
        <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-2 text-sm">
          <dt className="text-slate-500">Created</dt>
          <dd>{formatDateTime(project.created_at)}</dd>
          <dt className="text-slate-500">Created by</dt>
          <dd className="min-w-0 break-words">{project.creator ?? "A member of the organisation"}</dd>
          <dt className="text-slate-500">Project id</dt>
          <dd className="min-w-0 break-all">
            <code>{project.id}</code>
          </dd>
        </dl>
        <DocumentsPanel
          projectId={project.id}
          canDelete={hasRole(session, "admin")}
          canImport={isEnabled("url_import", { orgId: session.orgId, role: session.orgRole })}
          scannerNotice={project.scannerNotice}
          documents={project.documents.map((d) => ({ id: d.id, name: d.name, status: d.status, sizeBytes: Number(d.size_bytes) }))}
        />
      </div>
    );
  },
);
