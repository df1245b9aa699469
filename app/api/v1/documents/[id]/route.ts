import { withApiKey } from "@/lib/api/handler";
import { documentParamsSchema } from "@/lib/api/schemas";
import { documentResource } from "@/lib/api/resources";
import { getDocument } from "@/lib/documents/store";

export const GET = withApiKey(async ({ tx, params }) => ({ status: 200, body: documentResource(await getDocument(tx, params.id)) }), {
  permission: "read",
  params: documentParamsSchema,
  resource: "document",
  singleStatement: true,
});
