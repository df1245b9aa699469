import "server-only";
import type { ErrorCode } from "@/lib/errors";
import { problemBody } from "@/lib/http/problem";
import { acceptRequestId, REQUEST_ID_HEADER } from "@/lib/http/request-id";
import { measured } from "./handler";
import { allowedMethods, API_ROUTES, OPENAPI_PATH } from "./openapi";

/**
 * VAL-3: what is not an endpoint still answers as the API does (problem+json with a request id), never with an
 * HTML page or an empty body: an unknown method on a documented path is 405 with `Allow`, an unknown path 404.
 * Nothing here authenticates: the route table is public (the OpenAPI document).
 */
function answer(request: Request, code: ErrorCode, detail: string, headers: Record<string, string> = {}): Response {
  const requestId = acceptRequestId(request.headers.get(REQUEST_ID_HEADER));
  return new Response(JSON.stringify(problemBody(code, detail, { requestId })), {
    status: problemBody(code, "").status,
    headers: { "content-type": "application/problem+json", "x-request-id": requestId, ...headers },
  });
}

/** The handler a route file exports for each method its path does not have (from the route table, API_ROUTES). */
export function methodNotAllowed(path: string) {
  if (path !== OPENAPI_PATH && !API_ROUTES.some((r) => r.path === path)) throw new Error(`${path} is not in API_ROUTES.`);
  const allow = allowedMethods(path).join(", ");
  return measured(async (request: Request) => answer(request, "method_not_allowed", `${request.method} is not supported here. Allowed: ${allow}.`, { allow }));
}

/** Every method of the /api/v1 catch-all route. */
export const unknownEndpoint = measured(async (request: Request) => answer(request, "not_found", "There is no such endpoint. The API is described at /api/v1/openapi.json."));
