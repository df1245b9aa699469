import { withApiKey } from "@/lib/api/handler";
import { encodeCursor, listQuerySchema } from "@/lib/api/schemas";
import { cursorPosition, documentResource } from "@/lib/api/resources";
import { pageDocuments } from "@/lib/documents/store";
import { methodNotAllowed } from "@/lib/api/unsupported";

export const GET = withApiKey(
  async ({ tx, query }) => {
    const page = await pageDocuments(tx, { limit: query.limit, after: cursorPosition(query.cursor) });
    return { status: 200, body: { data: page.items.map(documentResource), nextCursor: encodeCursor(page.next) } };
  },
  { permission: "read", query: listQuerySchema, singleStatement: true },
);

// VAL-3: the methods this path does not have answer 405 problem+json with `Allow`.
const notAllowed = methodNotAllowed("/api/v1/documents");
export const POST = notAllowed;
export const PUT = notAllowed;
export const PATCH = notAllowed;
export const DELETE = notAllowed;
