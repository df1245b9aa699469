import { z } from "zod";
import { withApiKey } from "@/lib/api/handler";
import { idParamsSchema } from "@/lib/api/schemas";
import { documentResource } from "@/lib/api/resources";
import { methodNotAllowed } from "@/lib/api/unsupported";
import { importDocument, importBody, recordDocument, settleDocument, type PreparedDocument } from "@/lib/documents/pipeline";

/** SSRF-1: the server fetches the URL through lib/http/outbound (every hop checked), then the upload pipeline. */
export const POST = withApiKey<typeof idParamsSchema, never, typeof importBody, PreparedDocument>(
  async ({ tx, key, params, prepared, audit }) => {
    const { document, duplicate } = await recordDocument(tx, prepared, { subject: `key_${key.keyId}`, audit }, params.id);
    return { status: duplicate ? 200 : 201, body: { ...documentResource(document), duplicate } };
  },
  {
    permission: "write",
    params: idParamsSchema,
    body: importBody,
    limitClass: "import",
    stream: { prepare: ({ key, body }: { key: { orgId: string }; body: z.output<typeof importBody> }) => importDocument({ orgId: key.orgId, role: "api", ...body }), settle: settleDocument },
  },
);

// VAL-3: the methods this path does not have answer 405 problem+json with `Allow`.
const notAllowed = methodNotAllowed("/api/v1/projects/{id}/documents/imports");
export const GET = notAllowed;
export const PUT = notAllowed;
export const PATCH = notAllowed;
export const DELETE = notAllowed;
