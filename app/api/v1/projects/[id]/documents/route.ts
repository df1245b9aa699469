import { withApiKey } from "@/lib/api/handler";
import { encodeCursor, idParamsSchema, listQuerySchema } from "@/lib/api/schemas";
import { cursorPosition, documentResource } from "@/lib/api/resources";
import { getProject } from "@/lib/projects/store";
import { pageDocuments } from "@/lib/documents/store";
import { methodNotAllowed } from "@/lib/api/unsupported";
import { receiveDocument, recordDocument, settleDocument, type PreparedDocument } from "@/lib/documents/pipeline";
import { ValidationError } from "@/lib/errors";
import { withRouteEdge } from "@/lib/security/edge-config";

// FILE-1: the proxy does not run for this path (proxy.ts), so an upload's body streams: every method runs the edge
// pipeline here first (withRouteEdge), with the proxy's checks, refusals and headers.

export const GET = withRouteEdge(withApiKey(
  async ({ tx, params, query }) => {
    await getProject(tx, params.id); // 404 for a project the key cannot see (TEN-4, TEN-6)
    const page = await pageDocuments(tx, { projectId: params.id, limit: query.limit, after: cursorPosition(query.cursor) });
    return { status: 200, body: { data: page.items.map(documentResource), nextCursor: encodeCursor(page.next) } };
  },
  { permission: "read", params: idParamsSchema, query: listQuerySchema },
));

/** The file's name travels in `X-File-Name`, percent-encoded UTF-8 (one header, no multipart parsing). */
function fileName(request: Request): string {
  const raw = request.headers.get("x-file-name");
  if (raw === null) throw new ValidationError({ "header.X-File-Name": ["Send the file's name in X-File-Name (percent-encoded UTF-8)."] });
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ValidationError({ "header.X-File-Name": ["X-File-Name is not valid percent-encoded UTF-8."] });
  }
}

/**
 * FILE-1..4: the raw body is the file, streamed into quarantine before the transaction (never buffered); its
 * Content-Type is the declared type, checked with the extension and the sniffed type.
 */
export const POST = withRouteEdge(withApiKey<typeof idParamsSchema, never, never, PreparedDocument>(
  async ({ tx, key, params, prepared, audit }) => {
    const { document, duplicate } = await recordDocument(tx, prepared, { subject: `key_${key.keyId}`, audit }, params.id);
    return { status: duplicate ? 200 : 201, body: { ...documentResource(document), duplicate } };
  },
  {
    permission: "write",
    params: idParamsSchema,
    limitClass: "upload",
    stream: {
      prepare: ({ request, key }) => {
        const length = request.headers.get("content-length");
        return receiveDocument({
          orgId: key.orgId,
          source: request.body ?? [],
          declaredType: request.headers.get("content-type") ?? "",
          name: fileName(request),
          sizeHint: length !== null && /^[0-9]{1,15}$/.test(length) ? Number(length) : null,
        });
      },
      settle: settleDocument,
    },
  },
));

// VAL-3: the methods this path does not have answer 405 problem+json with `Allow`.
const notAllowed = withRouteEdge(methodNotAllowed("/api/v1/projects/{id}/documents"));
export const PUT = notAllowed;
export const PATCH = notAllowed;
export const DELETE = notAllowed;
// HDR-3: the edge answers every preflight itself (this handler is never reached).
export const OPTIONS = notAllowed;
