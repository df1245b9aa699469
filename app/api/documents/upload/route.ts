import type { NextRequest } from "next/server";
import { getSessionWithoutProxy } from "@/lib/auth/current";
import { uploadDocument } from "@/lib/documents";
import { requestContextFrom } from "@/lib/http/request-context";
import { problem } from "@/lib/http/problem";
import { createAppRateLimiters, rateLimitedResponse } from "@/lib/ratelimit";
import { withRouteEdge } from "@/lib/security/edge-config";

const limiters = createAppRateLimiters();

export const dynamic = "force-dynamic";

/**
 * The dashboard's upload (FILE-1..4): the body is the file, streamed (never buffered), `Content-Type` its type and
 * `X-File-Name` its percent-encoded name; `?projectId=` names the project. Cookie session. The proxy does not run
 * for this path (proxy.ts), so the edge pipeline runs here first (withRouteEdge): a cross-site POST that carries the
 * cookie is refused (HDR-4), so is one without a session cookie, an undeclared or oversized length (411/413); the
 * `upload` rate-limit class applies per user and per org.
 */
export const POST = withRouteEdge(async (request: NextRequest): Promise<Response> => {
  const projectId = new URL(request.url).searchParams.get("projectId") ?? "";
  let name: string;
  try {
    name = decodeURIComponent(request.headers.get("x-file-name") ?? "");
  } catch {
    return problem("invalid_input", "X-File-Name is not valid percent-encoded UTF-8.");
  }
  const session = await getSessionWithoutProxy();
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
    requestContextFrom(request.headers),
  );
  if (!result.ok) return problem(result.code, result.message, { errors: result.fieldErrors });
  const { document, duplicate } = result.data;
  return Response.json({ id: document.id, name: document.name, status: document.status, duplicate }, { status: duplicate ? 200 : 201 });
});

// Every other method on this path gets the edge pipeline too (the proxy's matcher cannot tell methods apart).
const notAllowed = withRouteEdge(async () => {
  const refused = problem("method_not_allowed", "This route takes POST only.");
  refused.headers.set("allow", "POST");
  return refused;
});
export const GET = notAllowed;
export const PUT = notAllowed;
export const PATCH = notAllowed;
export const DELETE = notAllowed;
export const OPTIONS = notAllowed;
