import "server-only";
import type { Queryable } from "@/lib/db";
import { AppError, NotFoundError } from "@/lib/errors";

/** TEN-7: a caller's level on one project, as the RLS helpers compute it (private.project_level). */
export const LEVELS = { none: 0, read: 1, write: 2, manage: 3 } as const;
export type ProjectLevel = keyof typeof LEVELS;

const REFUSAL: Record<Exclude<ProjectLevel, "none" | "read">, string> = {
  write: "You can view this project but not change it. Ask a project manager for editor access.",
  manage: "Only the project's managers and the organisation's admins manage its sharing.",
};

export async function projectLevel(tx: Queryable, projectId: string): Promise<number> {
  const [row] = await tx.query<{ level: number }>("select private.project_level($1) as level", [projectId]);
  return row?.level ?? 0;
}

/**
 * Defence in depth (TEN-3 for project roles): the app refuses what RLS would refuse, with a clear message. A project
 * the caller cannot read is a 404 (TEN-4); one it reads but may not change in that way is a 403.
 */
export async function assertProjectLevel(tx: Queryable, projectId: string, needed: Exclude<ProjectLevel, "none">): Promise<number> {
  const level = await projectLevel(tx, projectId);
  if (level < LEVELS.read) throw new NotFoundError("project", projectId);
  if (level < LEVELS[needed]) throw new AppError("forbidden", REFUSAL[needed as keyof typeof REFUSAL]);
  return level;
}
