import * as projectsRoute from "@/app/api/v1/projects/route";
import * as projectRoute from "@/app/api/v1/projects/[id]/route";
import * as projectDocumentsRoute from "@/app/api/v1/projects/[id]/documents/route";
import * as documentsRoute from "@/app/api/v1/documents/route";
import * as documentRoute from "@/app/api/v1/documents/[id]/route";
import * as documentImportRoute from "@/app/api/v1/projects/[id]/documents/imports/route";
import * as downloadUrlRoute from "@/app/api/v1/documents/[id]/download-urls/route";
import { createApiKey } from "@/lib/api-keys";
import type { Session } from "@/lib/auth/claims";
import { request } from "./tenants";
import { assertMatchesContract } from "./contract";

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

/** The partner API's route handlers by OpenAPI path, called in-process with real Request objects. */
export const ROUTES: Record<string, Partial<Record<"get" | "post" | "patch" | "delete", Handler>>> = {
  "/api/v1/projects": { get: projectsRoute.GET, post: projectsRoute.POST },
  "/api/v1/projects/{id}": { get: projectRoute.GET, patch: projectRoute.PATCH, delete: projectRoute.DELETE },
  "/api/v1/projects/{id}/documents": { get: projectDocumentsRoute.GET, post: projectDocumentsRoute.POST },
  "/api/v1/projects/{id}/documents/imports": { post: documentImportRoute.POST },
  "/api/v1/documents": { get: documentsRoute.GET },
  "/api/v1/documents/{id}": { get: documentRoute.GET, delete: documentRoute.DELETE },
  "/api/v1/documents/{id}/download-urls": { post: downloadUrlRoute.POST },
};

export async function callApi(
  method: "get" | "post" | "patch" | "delete",
  path: string,
  init: {
    key?: string | null;
    authorization?: string;
    body?: unknown;
    /** Sent as is (a file upload's bytes, or text that is not JSON). */
    rawBody?: string | Uint8Array<ArrayBuffer>;
    query?: string;
    headers?: Record<string, string>;
    ip?: string;
    /** The body's Content-Type: application/json unless given; null sends none. */
    contentType?: string | null;
    /** false: return the response unchecked (only for tests of the contract check itself). */
    contract?: false;
  } = {},
) {
  const template = Object.keys(ROUTES).find((t) => new RegExp(`^${t.replace(/\{id\}/g, "[^/]+")}$`).test(path));
  if (!template) throw new Error(`no route for ${path}`);
  const handler = ROUTES[template]![method];
  if (!handler) throw new Error(`no ${method} on ${template}`);
  const params: Record<string, string> = {};
  if (template.includes("{id}")) params.id = decodeURIComponent(path.split("/")[template.split("/").indexOf("{id}")]!);
  const headers: Record<string, string> = { "x-forwarded-for": init.ip ?? "203.0.113.10", ...init.headers };
  if (init.authorization !== undefined) headers.authorization = init.authorization;
  else if (init.key) headers.authorization = `Bearer ${init.key}`;
  const body = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  if (body !== undefined && init.contentType !== null) headers["content-type"] = init.contentType ?? "application/json";
  // As every HTTP client does for a body of known size (the upload routes require it: FILE-1, 411 otherwise).
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-length")) headers["content-length"] = String(Buffer.byteLength(body));
  const res = await handler(new Request(`http://localhost:3000${path}${init.query ?? ""}`, { method: method.toUpperCase(), headers, body }), {
    params: Promise.resolve(params),
  });
  const text = await res.text();
  // Every response the API suite receives is contract evidence: it must match the OpenAPI document.
  if (init.contract !== false) assertMatchesContract(method, template, { status: res.status, headers: res.headers, text });
  return { status: res.status, headers: res.headers, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

/** Creates a key through the dashboard's own server action, as an org admin would. */
export async function newKey(admin: Session, input: { projectId?: string; permissions?: "read" | "read_write"; expiresAt?: string; ipAllowlist?: string } = {}) {
  const result = await createApiKey(admin, { name: "Test key", permissions: input.permissions ?? "read_write", ...input }, request());
  if (!result.ok) throw new Error(`createApiKey failed: ${JSON.stringify(result)}`);
  return result.data;
}
