import { withApiKey } from "@/lib/api/handler";
import { createProjectBody, encodeCursor, listQuerySchema } from "@/lib/api/schemas";
import { cursorPosition, projectResource } from "@/lib/api/resources";
import { insertProject, pageProjects } from "@/lib/projects/store";
import { ForbiddenError } from "@/lib/errors";
import { methodNotAllowed } from "@/lib/api/unsupported";

export const GET = withApiKey(
  async ({ tx, query }) => {
    const page = await pageProjects(tx, { limit: query.limit, after: cursorPosition(query.cursor) });
    return { status: 200, body: { data: page.items.map(projectResource), nextCursor: encodeCursor(page.next) } };
  },
  { permission: "read", query: listQuerySchema, singleStatement: true },
);

export const POST = withApiKey(
  async ({ tx, key, body, audit }) => {
    // TEN-6: a key scoped to one project cannot create others (RLS refuses it as well).
    if (key.projectId) throw new ForbiddenError("This API key is scoped to one project and cannot create projects.");
    const project = await insertProject(tx, { orgId: key.orgId, name: body.name, createdBy: `key_${key.keyId}` });
    await audit({ action: "project.created", targetType: "project", targetId: project.id, changes: { name: body.name } });
    return { status: 201, body: projectResource(project) };
  },
  { permission: "write", body: createProjectBody },
);

// VAL-3: the methods this path does not have answer 405 problem+json with `Allow`.
const notAllowed = methodNotAllowed("/api/v1/projects");
export const PUT = notAllowed;
export const PATCH = notAllowed;
export const DELETE = notAllowed;
