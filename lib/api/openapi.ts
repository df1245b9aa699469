import { z } from "zod";
import { TITLES } from "@/lib/http/problem";
import {
  apiComponents,
  createProjectBody,
  documentPage,
  documentParamsSchema,
  documentSchema,
  downloadUrlSchema,
  ERROR_CODES,
  exampleDocument,
  exampleProject,
  idParamsSchema,
  listQuerySchema,
  problemSchema,
  projectPage,
  projectSchema,
  updateProjectBody,
  importBody,
  UPLOAD_MEDIA_TYPES,
  uploadedDocumentSchema,
} from "./schemas";

/**
 * The partner API's route table, and the OpenAPI 3.1 document generated from it and from the very Zod schemas
 * the handlers validate with (no hand-kept copy). Tests check every route here answers as documented, every
 * response the API suite receives matches the document (tests/helpers/contract.ts), and a strict linter passes.
 */
export interface ApiRouteSpec {
  method: "get" | "post" | "patch" | "delete";
  path: string;
  operationId: string;
  tag: "Projects" | "Documents";
  summary: string;
  description: string;
  permission: "read" | "write";
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  response?: z.ZodType;
  status: number;
  /** Another success status (an upload of content the organisation already stores answers 200, not 201). */
  alsoStatus?: number;
  idempotent?: boolean;
  /** The body is a file, sent raw with its own Content-Type and streamed (FILE-1), not JSON. */
  fileBody?: boolean;
  /** Error statuses the route's work can answer beyond those the wrapper derives (see errorStatuses). */
  errors?: (400 | 402 | 409 | 411 | 413 | 415 | 422)[];
}

const PAGING = "Newest first. Pass `nextCursor` back as `cursor` for the next page; it is null on the last page. Paging never skips or repeats an item, also while items are added.";

export const API_ROUTES: ApiRouteSpec[] = [
  {
    method: "get",
    path: "/api/v1/projects",
    operationId: "listProjects",
    tag: "Projects",
    summary: "List projects, newest first",
    description: `The organisation's projects (a project-scoped key sees only its project). ${PAGING}`,
    permission: "read",
    query: listQuerySchema,
    response: projectPage,
    status: 200,
  },
  {
    method: "post",
    path: "/api/v1/projects",
    operationId: "createProject",
    tag: "Projects",
    summary: "Create a project",
    description:
      "Creates a project in the key's organisation. Needs a read+write key that is not scoped to one project. Honours `Idempotency-Key`. The organisation's plan limits its projects: at the limit the answer is 402 `plan_limit` naming it, and nothing is created (concurrent creates never exceed it).",
    permission: "write",
    body: createProjectBody,
    response: projectSchema,
    status: 201,
    errors: [402],
    idempotent: true,
  },
  {
    method: "get",
    path: "/api/v1/projects/{id}",
    operationId: "getProject",
    tag: "Projects",
    summary: "Get a project",
    description: "One project by id. Another organisation's project, or one outside the key's scope, is 404.",
    permission: "read",
    params: idParamsSchema,
    response: projectSchema,
    status: 200,
  },
  {
    method: "patch",
    path: "/api/v1/projects/{id}",
    operationId: "updateProject",
    tag: "Projects",
    summary: "Rename a project",
    description: "Sets the project's name. Needs a read+write key.",
    permission: "write",
    params: idParamsSchema,
    body: updateProjectBody,
    response: projectSchema,
    status: 200,
  },
  {
    method: "delete",
    path: "/api/v1/projects/{id}",
    operationId: "deleteProject",
    tag: "Projects",
    summary: "Delete a project",
    description: "Deletes the project and its documents. Needs a read+write key.",
    permission: "write",
    params: idParamsSchema,
    status: 204,
  },
  {
    method: "get",
    path: "/api/v1/projects/{id}/documents",
    operationId: "listProjectDocuments",
    tag: "Documents",
    summary: "List a project's documents",
    description: `The documents of one project. ${PAGING}`,
    permission: "read",
    params: idParamsSchema,
    query: listQuerySchema,
    response: documentPage,
    status: 200,
    // Served by the upload route's file, which runs the edge pipeline itself (FILE-1): its 400 is documented here.
    errors: [400],
  },
  {
    method: "get",
    path: "/api/v1/documents",
    operationId: "listDocuments",
    tag: "Documents",
    summary: "List documents across the key's projects",
    description: `Documents of every project the key can see. ${PAGING}`,
    permission: "read",
    query: listQuerySchema,
    response: documentPage,
    status: 200,
  },
  {
    method: "get",
    path: "/api/v1/documents/{id}",
    operationId: "getDocument",
    tag: "Documents",
    summary: "Get a document's metadata",
    description: "One document's metadata by id. Another organisation's document, or one outside the key's scope, is 404. Fetching the URL needs no key; it is rate limited per client address and per organisation (429 problem+json with `Retry-After`).",
    permission: "read",
    params: documentParamsSchema,
    response: documentSchema,
    status: 200,
  },
  {
    method: "post",
    path: "/api/v1/projects/{id}/documents",
    operationId: "uploadDocument",
    tag: "Documents",
    summary: "Upload a document",
    description:
      "The request body is the file itself (not JSON, not multipart), streamed: `Content-Type` is the file's type and `X-File-Name` its name, percent-encoded UTF-8. Allowed: PDF, PNG, JPEG, WebP, plain text, CSV, DOCX, XLSX; the declared type, the name's extension and the type sniffed from the bytes must agree (415 names what was found). The document starts `pending_scan` and becomes `clean` (downloadable) or `infected` once its virus scan ran. Content the organisation already stores answers 200 with the existing document and `duplicate: true`. `Content-Length` is required (411 without it). Over the per-file limit or the organisation's storage quota: 413 with the limit. Rate limited in the `upload` class per key and per organisation. Needs a read+write key.",
    permission: "write",
    params: idParamsSchema,
    response: uploadedDocumentSchema,
    status: 201,
    alsoStatus: 200,
    fileBody: true,
    // The upload routes run the edge pipeline themselves (FILE-1: outside the proxy), so its 400 is theirs to document.
    errors: [400, 409, 411, 413, 415, 422],
    idempotent: true,
  },
  {
    method: "post",
    path: "/api/v1/projects/{id}/documents/imports",
    operationId: "importDocument",
    tag: "Documents",
    summary: "Import a document from a URL",
    description:
      "The server fetches `url` (http or https, ports 80/443, no credentials; every redirect, at most 3, and every resolved address checked: private, loopback, link-local and metadata addresses are refused with 422), then treats the body as an upload. Rate limited in the `import` class per key and per organisation. Needs a read+write key.",
    permission: "write",
    params: idParamsSchema,
    body: importBody,
    response: uploadedDocumentSchema,
    status: 201,
    alsoStatus: 200,
    errors: [409],
    idempotent: true,
  },
  {
    method: "post",
    path: "/api/v1/documents/{id}/download-urls",
    operationId: "createDownloadUrl",
    tag: "Documents",
    summary: "Get a download URL",
    description:
      "A signed URL valid for five minutes that serves the file as an attachment. Only for a `clean` document: one that is pending its scan, infected or failed its scan answers 409. Another organisation's document, or one outside the key's scope, is 404. Fetching the URL needs no key; it is rate limited per client address and per organisation (429 problem+json with `Retry-After`).",
    permission: "read",
    params: documentParamsSchema,
    response: downloadUrlSchema,
    status: 201,
    errors: [409, 422],
    idempotent: true,
  },
  {
    method: "delete",
    path: "/api/v1/documents/{id}",
    operationId: "deleteDocument",
    tag: "Documents",
    summary: "Delete a document",
    description: "Deletes the document and its stored file. Needs a read+write key.",
    permission: "write",
    params: documentParamsSchema,
    status: 204,
  },
];

/** The error catalogue: every problem `code` the API returns, with its status. Shown on the reference page. */
export const ERROR_CATALOGUE = [
  { status: 400, code: "malformed_request", when: "The request line is malformed (a control character, or a percent-escape that does not decode, in the path) and was refused before it reached the endpoint." },
  { status: 401, code: "unauthenticated", when: "The API key is missing, malformed, unknown, revoked, expired, or used from an address outside its allow-list. The body is the same in every case." },
  { status: 402, code: "plan_limit", when: "The organisation's plan allows no more of this resource (e.g. projects); `detail` names the limit and the plan. Delete one or upgrade the plan." },
  { status: 403, code: "forbidden", when: "The key is read-only and the request writes, or the key is scoped to one project and the request reaches beyond it." },
  { status: 404, code: "not_found", when: "The resource does not exist or belongs to another organisation or project (existence is not disclosed), or there is no such endpoint." },
  { status: 405, code: "method_not_allowed", when: "The endpoint exists but not with this method; `Allow` lists the methods it has." },
  { status: 409, code: "conflict", when: "The resource is not in a state that allows this (a document not yet scanned clean), or the organisation already stores the same content where the key cannot see it." },
  { status: 411, code: "length_required", when: "An upload did not declare its size in `Content-Length`." },
  { status: 413, code: "payload_too_large", when: "The body exceeds the route's limit, or an upload exceeds the per-file limit or the organisation's storage quota." },
  { status: 415, code: "unsupported_media_type", when: "A body was sent without `Content-Type: application/json` (or another JSON type, in UTF-8), or an uploaded file's declared type, extension and content disagree or are not allowed." },
  { status: 422, code: "invalid_input", when: "The query, path or body failed validation (see `errors`), or an Idempotency-Key was reused with a different request." },
  { status: 429, code: "rate_limited", when: "A per-key, per-organisation or per-IP limit was reached. Retry after `Retry-After` seconds." },
  { status: 503, code: "unavailable", when: "A dependency is unavailable. Nothing was changed; retry later." },
  { status: 500, code: "internal", when: "An unexpected error. Nothing was changed; the request id helps support find it." },
] as const satisfies readonly { status: number; code: (typeof ERROR_CODES)[number]; when: string }[];

/** Where the document itself is served (GET only). */
export const OPENAPI_PATH = "/api/v1/openapi.json";

/** Allowed methods of a documented path, as an `Allow` header lists them (HEAD with GET; OPTIONS for CORS preflight). */
export function allowedMethods(path: string): string[] {
  const methods = path === OPENAPI_PATH ? ["GET"] : API_ROUTES.filter((r) => r.path === path).map((r) => r.method.toUpperCase());
  return [...methods, ...(methods.includes("GET") ? ["HEAD"] : []), "OPTIONS"].sort();
}

// ---- reusable parts: headers and error responses ---------------------------------------------------------------

const integerHeader = (description: string, minimum: number, example: number) => ({ description, required: true, schema: { type: "integer", minimum }, example });

const HEADERS = {
  XRequestId: {
    description: "The request's id: yours if you sent a valid `X-Request-ID` (8–128 characters of `A-Z a-z 0-9 . _ : -`), otherwise a new UUID. Quote it to support.",
    required: true,
    schema: { type: "string", minLength: 8, maxLength: 128, pattern: "^[A-Za-z0-9._:-]+$" },
    example: "3b8f2c1e-6a4d-4f7e-9c2b-1d5e8a7f6c30",
  },
  RateLimitLimit: integerHeader("Requests allowed in the current window by the limit closest to being reached (per key, per organisation, or per IP for refused keys).", 1, 600),
  RateLimitRemaining: integerHeader("Requests left in the current window of that limit.", 0, 599),
  RateLimitReset: integerHeader("Seconds until that limit's window resets.", 0, 42),
  RetryAfter: integerHeader("Seconds to wait before retrying.", 1, 30),
  WWWAuthenticate: { description: "The authentication scheme the API expects.", required: true, schema: { type: "string", enum: ['Bearer realm="api"'] }, example: 'Bearer realm="api"' },
  IdempotencyReplayed: {
    description: "Present when this is the stored response to an earlier request with the same `Idempotency-Key`.",
    required: false,
    schema: { type: "string", enum: ["true"] },
    example: "true",
  },
} as const;

type HeaderName = "X-Request-ID" | "RateLimit-Limit" | "RateLimit-Remaining" | "RateLimit-Reset" | "Retry-After" | "WWW-Authenticate" | "Idempotency-Replayed";
const HEADER_COMPONENT: Record<HeaderName, keyof typeof HEADERS> = {
  "X-Request-ID": "XRequestId",
  "RateLimit-Limit": "RateLimitLimit",
  "RateLimit-Remaining": "RateLimitRemaining",
  "RateLimit-Reset": "RateLimitReset",
  "Retry-After": "RetryAfter",
  "WWW-Authenticate": "WWWAuthenticate",
  "Idempotency-Replayed": "IdempotencyReplayed",
};
const headers = (...names: HeaderName[]) => Object.fromEntries(names.map((n) => [n, { $ref: `#/components/headers/${HEADER_COMPONENT[n]}` }]));
const RATE_LIMIT: HeaderName[] = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"];

const problemExample = (code: (typeof ERROR_CODES)[number], detail: string, extra: Record<string, unknown> = {}) => {
  const entry = ERROR_CATALOGUE.find((e) => e.code === code)!;
  return { type: `https://tenantguard.dev/problems/${code}`, title: TITLES[code], status: entry.status, code, detail, requestId: HEADERS.XRequestId.example, ...extra };
};

/** Error responses by status: what each says, the headers it always carries, and an example body. */
const ERROR_RESPONSES = {
  400: { name: "MalformedRequest", headers: ["X-Request-ID"], example: problemExample("malformed_request", "The path contains a control character.") },
  401: { name: "Unauthenticated", headers: ["X-Request-ID", "WWW-Authenticate"], example: problemExample("unauthenticated", "The API key is missing, invalid, expired or revoked.") },
  402: { name: "PlanLimit", headers: ["X-Request-ID", ...RATE_LIMIT], example: problemExample("plan_limit", "Plan limit reached: 10 projects on the Free plan. Delete a project or upgrade the plan.") },
  403: { name: "Forbidden", headers: ["X-Request-ID", ...RATE_LIMIT], example: problemExample("forbidden", "This API key is read-only.") },
  409: { name: "Conflict", headers: ["X-Request-ID", ...RATE_LIMIT], example: problemExample("conflict", "This document is not available for download: pending scan.") },
  404: { name: "NotFound", headers: ["X-Request-ID", ...RATE_LIMIT], example: problemExample("not_found", "That project does not exist.") },
  411: { name: "LengthRequired", headers: ["X-Request-ID"], example: problemExample("length_required", "Declare the file's size in Content-Length.") },
  // A declared Content-Length over the limit is refused before the key is checked (lib/security/edge.ts): no RateLimit-*.
  413: { name: "PayloadTooLarge", headers: ["X-Request-ID"], unlessRefusedEarly: RATE_LIMIT, example: problemExample("payload_too_large", "The request body is larger than 65536 bytes.") },
  415: { name: "UnsupportedMediaType", headers: ["X-Request-ID", ...RATE_LIMIT], example: problemExample("unsupported_media_type", "Send the body as application/json (UTF-8).") },
  422: {
    name: "InvalidInput",
    headers: ["X-Request-ID", ...RATE_LIMIT],
    example: problemExample("invalid_input", "The request is not valid.", { errors: { "body.name": ["Enter a project name."] } }),
  },
  429: { name: "RateLimited", headers: ["X-Request-ID", ...RATE_LIMIT, "Retry-After"], example: problemExample("rate_limited", "Too many requests. Retry after the number of seconds in Retry-After.") },
  500: { name: "Internal", headers: ["X-Request-ID"], example: problemExample("internal", "Something went wrong. Nothing was changed.") },
  503: { name: "Unavailable", headers: ["X-Request-ID", "Retry-After"], example: problemExample("unavailable", "The service is temporarily unavailable. Nothing was changed; please retry.") },
} satisfies Record<number, { name: string; headers: HeaderName[]; unlessRefusedEarly?: HeaderName[]; example: ReturnType<typeof problemExample> }>;

/** The error statuses an operation can answer, derived from what the handler does (lib/api/handler.ts). */
function errorStatuses(spec: ApiRouteSpec): (keyof typeof ERROR_RESPONSES)[] {
  const statuses: (keyof typeof ERROR_RESPONSES)[] = [
    401,
    ...(spec.permission === "write" ? [403 as const] : []),
    // A malformed or unknown id, or one of another organisation (TEN-4).
    ...(spec.params ? [404 as const] : []),
    ...(spec.body ? [413 as const, 415 as const] : []),
    ...(spec.body || spec.query ? [422 as const] : []),
    ...(spec.errors ?? []),
    429,
    500,
    503,
  ];
  return [...new Set(statuses)].sort((a, b) => a - b);
}

// ---- schemas -----------------------------------------------------------------------------------------------------

/** A component schema without the keys Zod adds for standalone documents (`$schema`, and `$id`, which 2020-12 forbids with a fragment). */
function componentSchema(schema: Record<string, unknown>) {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

const ref = (schema: z.ZodType) => {
  const id = apiComponents.get(schema)?.id;
  return id ? { $ref: `#/components/schemas/${id}` } : componentSchema(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }));
};

function parameters(spec: ApiRouteSpec) {
  const out: Record<string, unknown>[] = [];
  for (const [where, object] of [["path", spec.params], ["query", spec.query]] as const) {
    if (!object) continue;
    for (const [name, field] of Object.entries(object.shape)) {
      const { description, examples, ...schema } = componentSchema(z.toJSONSchema(field as z.ZodType, { io: "input", unrepresentable: "any" }));
      out.push({
        name,
        in: where,
        required: where === "path" || !(field as z.ZodType).safeParse(undefined).success,
        description: description ?? (where === "path" ? "The resource's id." : name),
        schema,
        ...(Array.isArray(examples) ? { example: examples[0] } : {}),
      });
    }
  }
  if (spec.fileBody) {
    out.push({
      name: "X-File-Name",
      in: "header",
      required: true,
      description: "The file's name, percent-encoded UTF-8 (`encodeURIComponent`). For display only: it never becomes a storage path; names with control, bidi or path characters are refused (422).",
      schema: { type: "string", minLength: 1, maxLength: 1024 },
      example: "Q3%20report.pdf",
    });
  }
  if (spec.idempotent) {
    out.push({
      name: "Idempotency-Key",
      in: "header",
      required: false,
      description: "Replays the first response for 24 hours (with `Idempotency-Replayed: true`); reusing it with a different request gives 422.",
      schema: { type: "string", minLength: 1, maxLength: 255 },
      example: "order-2026-11-24-001",
    });
  }
  return out;
}

const SUCCESS_EXAMPLES: Record<string, unknown> = {
  UploadedDocument: { ...exampleDocument, status: "pending_scan", duplicate: false },
  DownloadUrl: { url: "https://app.example.com/api/documents/download?token=v1.9a7c5b2d-1e0f-4a94-8d0f-6c2e4b1a4e3f.org_2pQm.1795000000.c2lnbmF0dXJl", expiresAt: "2026-11-24T10:07:17.000Z" },
  Project: exampleProject,
  Document: exampleDocument,
  ProjectPage: { data: [exampleProject], nextCursor: "MjAyNi0xMS0yNFQwOTozMDowMC4xMjM0NTZafDNmMWMyYTllLThiN2QtNGM2ZS05ZjFhLTJiM2M0ZDVlNmY3MA" },
  DocumentPage: { data: [exampleDocument], nextCursor: null },
};

function success(spec: ApiRouteSpec) {
  const names: HeaderName[] = ["X-Request-ID", ...RATE_LIMIT, ...(spec.idempotent ? (["Idempotency-Replayed"] as const) : [])];
  if (!spec.response) return { description: "Done; no content.", headers: headers(...names) };
  const id = apiComponents.get(spec.response)?.id;
  return {
    description: spec.status === 201 ? "Created." : "OK.",
    headers: headers(...names),
    content: { "application/json": { schema: ref(spec.response), ...(id && SUCCESS_EXAMPLES[id] ? { example: SUCCESS_EXAMPLES[id] } : {}) } },
  };
}

export function openApiDocument(serverUrl: string) {
  // Make sure every named schema is in the registry before it is rendered.
  void [projectSchema, documentSchema, problemSchema];
  const { schemas } = z.toJSONSchema(apiComponents, { io: "output", uri: (id) => `#/components/schemas/${id}`, unrepresentable: "any" });
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of API_ROUTES) {
    const responses: Record<string, unknown> = { [String(spec.status)]: success(spec) };
    if (spec.alsoStatus) responses[String(spec.alsoStatus)] = { ...success(spec), description: "Already stored: the existing document, with `duplicate: true`." };
    for (const status of errorStatuses(spec)) responses[String(status)] = { $ref: `#/components/responses/${ERROR_RESPONSES[status].name}` };
    (paths[spec.path] ??= {})[spec.method] = {
      operationId: spec.operationId,
      tags: [spec.tag],
      summary: spec.summary,
      description: spec.description,
      security: [{ apiKey: [] }],
      "x-permission": spec.permission,
      parameters: parameters(spec),
      ...(spec.fileBody
        ? {
            requestBody: {
              required: true,
              description: "The file's bytes, streamed. `Content-Type` is the file's type; `Content-Length` is required (411 without it) and a larger one than the limit is refused before a byte is read (413).",
              content: Object.fromEntries(UPLOAD_MEDIA_TYPES.map((t) => [t, { schema: { type: "string", contentMediaType: t, maxLength: 26_214_400 } }])),
            },
          }
        : {}),
      ...(spec.body
        ? {
            requestBody: {
              required: true,
              description: "JSON (`Content-Type: application/json`, UTF-8); other media types are refused with 415.",
              content: { "application/json": { schema: ref(spec.body), example: spec.body === importBody ? { url: "https://example.com/q3.pdf" } : { name: spec.method === "post" ? "Q1 launch" : "Q1 launch (final)" } } },
            },
          }
        : {}),
      responses,
    };
  }
  const errorResponses = Object.fromEntries(
    Object.entries(ERROR_RESPONSES).map(([status, r]) => [
      r.name,
      {
        description: ERROR_CATALOGUE.find((e) => String(e.status) === status)!.when,
        headers: {
          ...headers(...(r.headers as HeaderName[])),
          ...Object.fromEntries(
            ("unlessRefusedEarly" in r ? r.unlessRefusedEarly : []).map((n) => {
              const header = HEADERS[HEADER_COMPONENT[n]];
              return [n, { ...header, required: false, description: `${header.description} Absent when a declared \`Content-Length\` over the limit was refused before the key was checked.` }];
            }),
          ),
        },
        content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" }, example: r.example } },
      },
    ]),
  );
  return {
    openapi: "3.1.0",
    info: {
      title: "TenantGuard partner API",
      version: "1.0.0",
      description:
        "Bearer API keys (`tg_live_…`), scoped to an organisation or one project, read or read+write. Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`; they never contain stack traces, SQL or file paths. Every response carries `X-Request-ID`; authenticated ones carry the IETF `RateLimit-*` fields. Unknown paths answer 404 and unsupported methods 405 (with `Allow`), both as problem details.",
      contact: { name: "TenantGuard API reference", url: `${serverUrl}/docs/api` },
      license: { name: "Proprietary", url: `${serverUrl}/docs/api` },
    },
    servers: [{ url: serverUrl, description: "This deployment." }],
    security: [{ apiKey: [] }],
    tags: [
      { name: "Documents", description: "Documents: streamed uploads and URL imports, virus-scanned in quarantine before they can be downloaded through short-lived signed URLs." },
      { name: "Projects", description: "Projects of the key's organisation: the unit documents and grants belong to." },
    ],
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "An API key created in the dashboard: `Authorization: Bearer tg_live_…`." } },
      schemas: Object.fromEntries(Object.entries(schemas).map(([name, s]) => [name, componentSchema(s as Record<string, unknown>)])),
      headers: HEADERS,
      responses: errorResponses,
    },
    paths,
  };
}
