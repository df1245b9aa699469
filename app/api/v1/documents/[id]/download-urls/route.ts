import { withApiKey } from "@/lib/api/handler";
import { documentParamsSchema } from "@/lib/api/schemas";
import { methodNotAllowed } from "@/lib/api/unsupported";
import { issueDownloadUrl } from "@/lib/documents/pipeline";

/** FILE-3: a five-minute download URL for a clean document the key can read (404 otherwise; 409 while not clean). */
export const POST = withApiKey(
  async ({ tx, key, params, audit }) => {
    const { url, expiresAt } = await issueDownloadUrl(tx, params.id, { orgId: key.orgId, audit });
    return { status: 201, body: { url, expiresAt: expiresAt.toISOString() } };
  },
  { permission: "read", params: documentParamsSchema, resource: "document" },
);

// VAL-3: the methods this path does not have answer 405 problem+json with `Allow`.
const notAllowed = methodNotAllowed("/api/v1/documents/{id}/download-urls");
export const GET = notAllowed;
export const PUT = notAllowed;
export const PATCH = notAllowed;
export const DELETE = notAllowed;
