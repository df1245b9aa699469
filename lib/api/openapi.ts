import { z } from "zod";
import {
  apiComponents,
  createProjectBody,
  documentPage,
  documentParamsSchema,
  documentSchema,
  idParamsSchema,
  listQuerySchema,
  problemSchema,
  projectPage,
  projectSchema,
  updateProjectBody,
} from "./schemas";

/**
 * The partner API's route table, and the OpenAPI 3.1 document generated from it and from the very Zod schemas
 * the handlers validate with (no hand-kept copy). A test checks every route here answers.
 */
export interface ApiRouteSpec {
  method: "get" | "post" | "patch" | "delete";
  path: string;
  operationId: string;
  summary: string;
  permission: "read" | "write";
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  response?: z.ZodType;
  status: number;
  idempotent?: boolean;
}

export const API_ROUTES: ApiRouteSpec[] = [
  { method: "get", path: "/api/v1/projects", operationId: "listProjects", summary: "List projects, newest first", permission: "read", query: listQuerySchema, response: projectPage, status: 200 },
  { method: "post", path: "/api/v1/projects", operationId: "createProject", summary: "Create a project", permission: "write", body: createProjectBody, response: projectSchema, status: 201, idempotent: true },
  { method: "get", path: "/api/v1/projects/{id}", operationId: "getProject", summary: "Get a project", permission: "read", params: idParamsSchema, response: projectSchema, status: 200 },
  { method: "patch", path: "/api/v1/projects/{id}", operationId: "updateProject", summary: "Rename a project", permission: "write", params: idParamsSchema, body: updateProjectBody, response: projectSchema, status: 200 },
  { method: "delete", path: "/api/v1/projects/{id}", operationId: "deleteProject", summary: "Delete a project", permission: "write", params: idParamsSchema, status: 204 },
  { method: "get", path: "/api/v1/projects/{id}/documents", operationId: "listProjectDocuments", summary: "List a project's documents", permission: "read", params: idParamsSchema, query: listQuerySchema, response: documentPage, status: 200 },
  { method: "get", path: "/api/v1/documents", operationId: "listDocuments", summary: "List documents across the key's projects", permission: "read", query: listQuerySchema, response: documentPage, status: 200 },
  { method: "get", path: "/api/v1/documents/{id}", operationId: "getDocument", summary: "Get a document's metadata", permission: "read", params: documentParamsSchema, response: documentSchema, status: 200 },
];

/** The error catalogue: every problem `code` the API returns, with its status. Shown on the reference page. */
export const ERROR_CATALOGUE = [
  { status: 401, code: "unauthenticated", when: "The API key is missing, malformed, unknown, revoked, expired, or used from an address outside its allow-list. The body is the same in every case." },
  { status: 403, code: "forbidden", when: "The key is read-only and the request writes, or the key is scoped to one project and the request reaches beyond it." },
  { status: 404, code: "not_found", when: "The resource does not exist or belongs to another organisation or project (existence is not disclosed)." },
  { status: 413, code: "payload_too_large", when: "The body exceeds the route's limit." },
  { status: 422, code: "invalid_input", when: "The query, path or body failed validation (see `errors`), or an Idempotency-Key was reused with a different request." },
  { status: 429, code: "rate_limited", when: "A per-key, per-organisation or per-IP limit was reached. Retry after `Retry-After` seconds." },
  { status: 503, code: "unavailable", when: "A dependency is unavailable. Nothing was changed; retry later." },
  { status: 500, code: "internal", when: "An unexpected error. Nothing was changed; the request id helps support find it." },
] as const;

const ref = (schema: z.ZodType) => {
  const id = apiComponents.get(schema)?.id;
  return id ? { $ref: `#/components/schemas/${id}` } : strip(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }));
};

function strip(schema: Record<string, unknown>) {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

function parameters(spec: ApiRouteSpec) {
  const out: Record<string, unknown>[] = [];
  for (const [where, object] of [["path", spec.params], ["query", spec.query]] as const) {
    if (!object) continue;
    for (const [name, field] of Object.entries(object.shape)) {
      const schema = strip(z.toJSONSchema(field as z.ZodType, { io: "input", unrepresentable: "any" }));
      out.push({ name, in: where, required: where === "path" || !(field as z.ZodType).safeParse(undefined).success, schema, ...(schema.description ? { description: schema.description } : {}) });
    }
  }
  return out;
}

const problemResponse = (description: string) => ({ description, content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } });

export function openApiDocument(serverUrl: string) {
  // Make sure every named schema is in the registry before it is rendered.
  void [projectSchema, documentSchema, problemSchema];
  const { schemas } = z.toJSONSchema(apiComponents, { io: "output", uri: (id) => `#/components/schemas/${id}`, unrepresentable: "any" });
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of API_ROUTES) {
    const responses: Record<string, unknown> = {
      [String(spec.status)]: spec.response
        ? { description: "Success", content: { "application/json": { schema: ref(spec.response) } } }
        : { description: "Success, no content" },
    };
    for (const { status, code } of ERROR_CATALOGUE) {
      if (status === 403 && spec.permission === "read") continue;
      if (status === 413 && !spec.body) continue;
      responses[String(status)] = problemResponse(code);
    }
    const headerParams = spec.idempotent
      ? [{ name: "Idempotency-Key", in: "header", required: false, schema: { type: "string", minLength: 1, maxLength: 255 }, description: "Replays the first response for 24 hours; reusing it with a different body gives 422." }]
      : [];
    (paths[spec.path] ??= {})[spec.method] = {
      operationId: spec.operationId,
      summary: spec.summary,
      security: [{ apiKey: [] }],
      "x-permission": spec.permission,
      parameters: [...parameters(spec), ...headerParams],
      ...(spec.body ? { requestBody: { required: true, content: { "application/json": { schema: ref(spec.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "TenantGuard partner API",
      version: "1.0.0",
      description: "Bearer API keys (`tg_live_…`), scoped to an organisation or one project, read or read+write. Errors are RFC 9457 problem details.",
    },
    servers: [{ url: serverUrl }],
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "An API key created in the dashboard: `Authorization: Bearer tg_live_…`." } },
      schemas,
    },
    paths,
  };
}
