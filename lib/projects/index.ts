import "server-only";
import type { Queryable } from "@/lib/db";
import { defineAction } from "@/lib/actions/pipeline";
import { NotFoundError } from "@/lib/errors";
import { createProjectSchema, deleteProjectSchema, renameProjectSchema, viewProjectSchema } from "./schemas";

export interface Project {
  id: string;
  org_id: string;
  name: string;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = "id, org_id, name, created_by, created_at, updated_at";

/** Data access takes the tenant transaction first; RLS already limits rows to the caller's org. */
export function listProjects(tx: Queryable): Promise<Project[]> {
  return tx.query<Project>(`select ${COLUMNS} from public.projects order by created_at desc, id limit 500`);
}

export async function getProject(tx: Queryable, id: string): Promise<Project> {
  const [project] = await tx.query<Project>(`select ${COLUMNS} from public.projects where id = $1`, [id]);
  if (!project) throw new NotFoundError("project", id);
  return project;
}

/** Reading one project goes through the pipeline too, so a foreign id is a recorded 404 (TEN-4). */
export const viewProject = defineAction({
  name: "projects.view",
  schema: viewProjectSchema,
  minimumRole: "member",
  run: ({ input, tx }) => getProject(tx, input.id),
});

export const createProject = defineAction({
  name: "projects.create",
  schema: createProjectSchema,
  minimumRole: "member",
  async run({ input, session, tx, audit }) {
    const [project] = await tx.query<Project>(
      `insert into public.projects (org_id, name, created_by) values ($1, $2, $3) returning ${COLUMNS}`,
      [session.orgId, input.name, session.userId],
    );
    await audit({ action: "project.created", targetType: "project", targetId: project!.id, changes: { name: input.name } });
    return project!;
  },
});

export const renameProject = defineAction({
  name: "projects.rename",
  schema: renameProjectSchema,
  minimumRole: "member",
  async run({ input, tx, audit }) {
    const before = await getProject(tx, input.id);
    const [project] = await tx.query<Project>(
      `update public.projects set name = $2, updated_at = now() where id = $1 returning ${COLUMNS}`,
      [input.id, input.name],
    );
    if (!project) throw new NotFoundError("project", input.id);
    await audit({ action: "project.renamed", targetType: "project", targetId: project.id, changes: { name: { from: before.name, to: input.name } } });
    return project;
  },
});

export const deleteProject = defineAction({
  name: "projects.delete",
  schema: deleteProjectSchema,
  minimumRole: "admin",
  async run({ input, tx, audit }) {
    const [project] = await tx.query<Pick<Project, "id" | "name">>("delete from public.projects where id = $1 returning id, name", [input.id]);
    if (!project) throw new NotFoundError("project", input.id);
    await audit({ action: "project.deleted", targetType: "project", targetId: project.id, changes: { name: project.name } });
    return { id: project.id };
  },
});
