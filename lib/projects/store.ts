import "server-only";
import type { Queryable } from "@/lib/db";
import { NotFoundError } from "@/lib/errors";
import { withinPlanLimit } from "@/lib/billing/limits";
import { KEYSET_AT, KEYSET_ORDER, keysetAfter, keysetPage, type KeysetPosition } from "@/lib/pagination/keyset";

/**
 * Project data access, shared by the dashboard's server actions and the partner API. Every function takes
 * the tenant transaction first; RLS limits rows to the caller's org (and to a key's project, TEN-6).
 */
export interface Project {
  id: string;
  org_id: string;
  name: string;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = "id, org_id, name, created_by, created_at, updated_at";

export function listProjects(tx: Queryable): Promise<Project[]> {
  return tx.query<Project>(`select ${COLUMNS} from public.projects order by created_at desc, id desc limit 500`);
}

/** Keyset pagination, newest first (lib/pagination/keyset): exact to the microsecond, the id breaks ties. */
export async function pageProjects(tx: Queryable, page: { limit: number; after?: KeysetPosition }): Promise<{ items: Project[]; next: KeysetPosition | null }> {
  const rows = page.after
    ? await tx.query<Project & { keyset_at: string }>(
        `select ${COLUMNS}, ${KEYSET_AT} from public.projects where ${keysetAfter(1, 2)} ${KEYSET_ORDER} limit $3`,
        [page.after.createdAt, page.after.id, page.limit + 1],
      )
    : await tx.query<Project & { keyset_at: string }>(`select ${COLUMNS}, ${KEYSET_AT} from public.projects ${KEYSET_ORDER} limit $1`, [page.limit + 1]);
  return keysetPage(rows, page.limit);
}

export async function getProject(tx: Queryable, id: string): Promise<Project> {
  const [project] = await tx.query<Project>(`select ${COLUMNS} from public.projects where id = $1`, [id]);
  if (!project) throw new NotFoundError("project", id);
  return project;
}

/** BIL-1: the org's plan limits its projects; the database's guard refuses the insert at the limit (PlanLimitError). */
export async function insertProject(tx: Queryable, input: { orgId: string; name: string; createdBy: string }): Promise<Project> {
  const [project] = await withinPlanLimit(() =>
    tx.query<Project>(`insert into public.projects (org_id, name, created_by) values ($1, $2, $3) returning ${COLUMNS}`, [input.orgId, input.name, input.createdBy]),
  );
  return project!;
}

export async function updateProjectName(tx: Queryable, id: string, name: string): Promise<{ before: Project; after: Project }> {
  const before = await getProject(tx, id);
  const [after] = await tx.query<Project>(`update public.projects set name = $2, updated_at = now() where id = $1 returning ${COLUMNS}`, [id, name]);
  if (!after) throw new NotFoundError("project", id);
  return { before, after };
}

export async function removeProject(tx: Queryable, id: string): Promise<Pick<Project, "id" | "name">> {
  const [project] = await tx.query<Pick<Project, "id" | "name">>("delete from public.projects where id = $1 returning id, name", [id]);
  if (!project) throw new NotFoundError("project", id);
  return project;
}
