import { withApiKey } from "@/lib/api/handler";
import { encodeCursor, idParamsSchema, listQuerySchema } from "@/lib/api/schemas";
import { cursorPosition, documentResource } from "@/lib/api/resources";
import { getProject } from "@/lib/projects/store";
import { pageDocuments } from "@/lib/documents/store";

export const GET = withApiKey(
  async ({ tx, params, query }) => {
    await getProject(tx, params.id); // 404 for a project the key cannot see (TEN-4, TEN-6)
    const page = await pageDocuments(tx, { projectId: params.id, limit: query.limit, after: cursorPosition(query.cursor) });
    return { status: 200, body: { data: page.items.map(documentResource), nextCursor: encodeCursor(page.next) } };
  },
  { permission: "read", params: idParamsSchema, query: listQuerySchema },
);
