import { withApiKey } from "@/lib/api/handler";
import { documentParamsSchema } from "@/lib/api/schemas";
import { documentResource } from "@/lib/api/resources";
import { getDocument } from "@/lib/documents/store";
import { methodNotAllowed } from "@/lib/api/unsupported";

export const GET = withApiKey(async ({ tx, params }) => ({ status: 200, body: documentResource(await getDocument(tx, params.id)) }), {
  permission: "read",
  params: documentParamsSchema,
  resource: "document",
  singleStatement: true,
});

// VAL-3: the methods this path does not have answer 405 problem+json with `Allow`.
const notAllowed = methodNotAllowed("/api/v1/documents/{id}");
export const POST = notAllowed;
export const PUT = notAllowed;
export const PATCH = notAllowed;
export const DELETE = notAllowed;
