import { env } from "@/lib/env";
import { openApiDocument } from "@/lib/api/openapi";
import { methodNotAllowed } from "@/lib/api/unsupported";

/** The OpenAPI 3.1 document, generated from the handlers' own Zod schemas. Public: it describes, it grants nothing. */
export function GET() {
  return Response.json(openApiDocument(new URL(env.APP_URL).origin), { headers: { "cache-control": "public, max-age=300" } });
}

// VAL-3: the methods this path does not have answer 405 problem+json with `Allow`.
const notAllowed = methodNotAllowed("/api/v1/openapi.json");
export const POST = notAllowed;
export const PUT = notAllowed;
export const PATCH = notAllowed;
export const DELETE = notAllowed;
