import { env } from "@/lib/env";
import { openApiDocument } from "@/lib/api/openapi";

/** The OpenAPI 3.1 document, generated from the handlers' own Zod schemas. Public: it describes, it grants nothing. */
export function GET() {
  return Response.json(openApiDocument(new URL(env.APP_URL).origin), { headers: { "cache-control": "public, max-age=300" } });
}
