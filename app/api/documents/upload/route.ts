import { getSession } from "@/lib/auth/current";
import { uploadDocument } from "@/lib/documents";
import { currentRequestContext } from "@/lib/http/request-context";
import { problem } from "@/lib/http/problem";
import { createAppRateLimiters, rateLimitedResponse } from "@/lib/ratelimit";

const limiters = createAppRateLimiters();

export const dynamic = "force-dynamic";

/**
 * The dashboard's upload (FILE-1..4): the body is the file, streamed (never buffered), `Content-Type` its type and
 * `X-File-Name` its percent-encoded name; `?projectId=` names the project. Cookie session; the edge refuses a
 * cross-site POST that carries the cookie (HDR-4); the `upload` rate-limit class applies per user and per org.
 */
export async function POST(request: Request): Promise<Response> {
  const projectId = new URL(request.url).searchParams.get("projectId") ?? "";
  let name: string;
  try {
    name = decodeURIComponent(request.headers.get("x-file-name") ?? "");
  } catch {
    return problem("invalid_input", "X-File-Name is not valid percent-encoded UTF-8.");
  }
  const session = await getSession();
  if (session?.orgId) {
    // RL-1: the upload class, per user and per org, before a byte is read.
    const decisions = await Promise.all([limiters.upload.limit(`user:${session.userId}`), limiters.upload.limit(`org:${session.orgId}`)]);
    const blocked = decisions.find((d) => !d.success);
    if (blocked) return rateLimitedResponse(blocked);
  }
  const length = request.headers.get("content-length");
  const result = await uploadDocument(
    session,
    {
      projectId,
      source: request.body ?? [],
      declaredType: request.headers.get("content-type") ?? "",
      name,
      sizeHint: length !== null && /^[0-9]{1,15}$/.test(length) ? Number(length) : null,
    },
    await currentRequestContext(),
  );
  if (!result.ok) return problem(result.code, result.message, { errors: result.fieldErrors });
  const { document, duplicate } = result.data;
  return Response.json({ id: document.id, name: document.name, status: document.status, duplicate }, { status: duplicate ? 200 : 201 });
}
