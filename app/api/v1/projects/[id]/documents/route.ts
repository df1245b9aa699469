import { withApiKey } from "@/lib/api/handler";
import { encodeCursor, idParamsSchema, listQuerySchema } from "@/lib/api/schemas";
import { cursorPosition, documentResource } from "@/lib/api/resources";
import { getProject } from "@/lib/projects/store";
import { pageDocuments } from "@/lib/documents/store";
import { methodNotAllowed } from "@/lib/api/unsupported";

export const GET = withApiKey(
  async ({ tx, params, query }) => {
    await getProject(tx, params.id); // 404 for a project the key cannot see (TEN-4, TEN-6)
    const page = await pageDocuments(tx, { projectId: params.id, limit: query.limit, after: cursorPosition(query.cursor) });
    return { status: 200, body: { data: page.items.map(documentResource), nextCursor: encodeCursor(page.next) } };
  },
  { permission: "read", params: idParamsSchema, query: listQuerySchema },
);

// VAL-3: the methods this path does not have answer 405 problem+json with `Allow`.
const notAllowed = methodNotAllowed("/api/v1/projects/{id}/documents");
export const POST = notAllowed;
export const PUT = notAllowed;
export const PATCH = notAllowed;
export const DELETE = notAllowed;
