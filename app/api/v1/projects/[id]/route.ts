import { withApiKey } from "@/lib/api/handler";
import { idParamsSchema, updateProjectBody } from "@/lib/api/schemas";
import { projectResource } from "@/lib/api/resources";
import { getProject, removeProject, updateProjectName } from "@/lib/projects/store";
import { methodNotAllowed } from "@/lib/api/unsupported";

export const GET = withApiKey(async ({ tx, params }) => ({ status: 200, body: projectResource(await getProject(tx, params.id)) }), {
  permission: "read",
  params: idParamsSchema,
  singleStatement: true,
});

export const PATCH = withApiKey(
  async ({ tx, params, body, audit }) => {
    const { before, after } = await updateProjectName(tx, params.id, body.name);
    await audit({ action: "project.renamed", targetType: "project", targetId: after.id, changes: { name: { from: before.name, to: after.name } } });
    return { status: 200, body: projectResource(after) };
  },
  { permission: "write", params: idParamsSchema, body: updateProjectBody },
);

export const DELETE = withApiKey(
  async ({ tx, params, audit }) => {
    const removed = await removeProject(tx, params.id);
    await audit({ action: "project.deleted", targetType: "project", targetId: removed.id, changes: { name: removed.name } });
    return { status: 204, body: null };
  },
  { permission: "write", params: idParamsSchema },
);

// VAL-3: the methods this path does not have answer 405 problem+json with `Allow`.
const notAllowed = methodNotAllowed("/api/v1/projects/{id}");
export const POST = notAllowed;
export const PUT = notAllowed;
