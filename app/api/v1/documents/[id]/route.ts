import { withApiKey } from "@/lib/api/handler";
import { documentParamsSchema } from "@/lib/api/schemas";
import { documentResource } from "@/lib/api/resources";
import { getDocument } from "@/lib/documents/store";
import { methodNotAllowed } from "@/lib/api/unsupported";
import { deleteDocument, removeStoredObject } from "@/lib/documents/pipeline";

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

/** Deletes the document (a write key of its org and project); its stored file is removed once that committed. */
export const DELETE = withApiKey(
  async ({ tx, params, audit, afterCommit }) => {
    const { storageKey } = await deleteDocument(tx, params.id, { audit });
    afterCommit(() => removeStoredObject(storageKey));
    return { status: 204, body: null };
  },
  { permission: "write", params: documentParamsSchema, resource: "document" },
);
