import "server-only";
import { defineAction } from "@/lib/actions/pipeline";
import { createProjectSchema, deleteProjectSchema, renameProjectSchema, viewProjectSchema } from "./schemas";
import { getProject, insertProject, removeProject, updateProjectName } from "./store";
import { assertProjectLevel } from "@/lib/grants/level";

export { listProjects, getProject, pageProjects, type Project } from "./store";

/** Reading one project goes through the pipeline too, so a foreign id is a recorded 404 (TEN-4). */
export const viewProject = defineAction({
  name: "projects.view",
  schema: viewProjectSchema,
  minimumRole: "guest",
  run: ({ input, tx }) => getProject(tx, input.id),
});

export const createProject = defineAction({
  name: "projects.create",
  schema: createProjectSchema,
  minimumRole: "member",
  async run({ input, session, tx, audit }) {
    const project = await insertProject(tx, { orgId: session.orgId, name: input.name, createdBy: session.userId });
    await audit({ action: "project.created", targetType: "project", targetId: project.id, changes: { name: input.name } });
    return project;
  },
});

export const renameProject = defineAction({
  name: "projects.rename",
  schema: renameProjectSchema,
  minimumRole: "guest",
  async run({ input, tx, audit }) {
    await assertProjectLevel(tx, input.id, "write");
    const { before, after } = await updateProjectName(tx, input.id, input.name);
    await audit({ action: "project.renamed", targetType: "project", targetId: after.id, changes: { name: { from: before.name, to: input.name } } });
    return after;
  },
});

export const deleteProject = defineAction({
  name: "projects.delete",
  schema: deleteProjectSchema,
  minimumRole: "admin",
  async run({ input, tx, audit }) {
    const project = await removeProject(tx, input.id);
    await audit({ action: "project.deleted", targetType: "project", targetId: project.id, changes: { name: project.name } });
    return { id: project.id };
  },
});
