import { afterAll, describe, expect, it } from "vitest";
import { closeDb, withTenant } from "@/lib/db";
import { allowedMethods, API_ROUTES, OPENAPI_PATH } from "@/lib/api/openapi";
import * as projectsRoute from "@/app/api/v1/projects/route";
import * as projectRoute from "@/app/api/v1/projects/[id]/route";
import * as projectDocumentsRoute from "@/app/api/v1/projects/[id]/documents/route";
import * as documentsRoute from "@/app/api/v1/documents/route";
import * as documentRoute from "@/app/api/v1/documents/[id]/route";
import * as documentImportsRoute from "@/app/api/v1/projects/[id]/documents/imports/route";
import * as downloadUrlsRoute from "@/app/api/v1/documents/[id]/download-urls/route";
import * as openApiRoute from "@/app/api/v1/openapi.json/route";
import * as catchAllRoute from "@/app/api/v1/[...path]/route";
import { orgWithMembers } from "../helpers/tenants";
import { callApi, newKey } from "../helpers/api";
import { contractViolations } from "../helpers/contract";

/**
 * The partner API keeps the promises of its OpenAPI document beyond the documented operations (VAL-1, VAL-3):
 * bodies must say they are JSON (415), unsupported methods are 405 problem+json with Allow, unknown paths are 404
 * problem+json. And the contract check that callApi applies to every response (tests/helpers/contract.ts) notices
 * an undocumented status, header, body field or media type.
 */

afterAll(closeDb);

type Handler = (request: Request, context: { params: Promise<Record<string, string | string[]>> }) => Promise<Response>;

/** Every route module of /api/v1, by path. */
const MODULES: Record<string, Record<string, unknown>> = {
  "/api/v1/projects": projectsRoute,
  "/api/v1/projects/{id}": projectRoute,
  "/api/v1/projects/{id}/documents": projectDocumentsRoute,
  "/api/v1/documents": documentsRoute,
  "/api/v1/documents/{id}": documentRoute,
  "/api/v1/projects/{id}/documents/imports": documentImportsRoute,
  "/api/v1/documents/{id}/download-urls": downloadUrlsRoute,
  [OPENAPI_PATH]: openApiRoute,
};
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

const send = (handler: Handler, method: string, path: string, params: Record<string, string | string[]> = {}) =>
  handler(new Request(`http://localhost:3000${path}`, { method, headers: { "x-forwarded-for": "203.0.113.10" } }), { params: Promise.resolve(params) });

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(res.headers.get("x-request-id")).toBeTruthy();
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: `https://tenantguard.dev/problems/${code}` });
  return body;
}

describe("bodies must be JSON (415)", () => {
  it("JSON sent as text/plain, as a form, in latin1, or with no Content-Type is refused with 415 and writes nothing", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    const body = JSON.stringify({ name: "Smuggled" });
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "text/json", null]) {
      const res = await callApi("post", "/api/v1/projects", { key: key.plaintext, rawBody: body, contentType });
      expect(res.status, String(contentType)).toBe(415);
      expect(res.json).toMatchObject({ code: "unsupported_media_type" });
    }
    expect(await withTenant(a.member.claims, (tx) => tx.query("select 1 from public.projects"))).toEqual([]);
    for (const contentType of ["application/json", "Application/JSON; charset=UTF-8", "application/merge-patch+json"]) {
      expect((await callApi("post", "/api/v1/projects", { key: key.plaintext, rawBody: body, contentType })).status, contentType).toBe(201);
    }
  });
});

describe("unsupported methods and unknown paths answer problem+json (VAL-3)", () => {
  it("every /api/v1 route answers each method it does not have with 405 problem+json and Allow", async () => {
    const paths = [...new Set(API_ROUTES.map((r) => r.path)), OPENAPI_PATH];
    expect(Object.keys(MODULES).sort()).toEqual(paths.sort());
    for (const path of paths) {
      const allow = allowedMethods(path);
      for (const method of METHODS.filter((m) => !allow.includes(m))) {
        const handler = MODULES[path]![method] as Handler | undefined;
        expect(handler, `${method} ${path} has no 405 handler`).toBeTypeOf("function");
        const res = await send(handler!, method, path.replace("{id}", "3f1c2a9e-8b7d-4c6e-9f1a-2b3c4d5e6f70"), { id: "3f1c2a9e-8b7d-4c6e-9f1a-2b3c4d5e6f70" });
        expect(res.headers.get("allow"), `${method} ${path}`).toBe(allow.join(", "));
        await expectProblem(res, 405, "method_not_allowed");
      }
    }
    expect(allowedMethods("/api/v1/projects/{id}")).toEqual(["DELETE", "GET", "HEAD", "OPTIONS", "PATCH"]);
  });

  it("an unknown /api/v1 path answers 404 problem+json for every method, without authentication", async () => {
    for (const path of ["/api/v1/nope", "/api/v1/projects/3f1c2a9e-8b7d-4c6e-9f1a-2b3c4d5e6f70/secrets", "/api/v1/admin/users/1"]) {
      for (const method of METHODS) {
        const handler = catchAllRoute[method] as Handler;
        const body = await expectProblem(await send(handler, method, path, { path: path.split("/").slice(3) }), 404, "not_found");
        expect(body.detail).toMatch(/no such endpoint/i);
      }
    }
  });
});

describe("the contract check applied to every API response in the suite", () => {
  it("passes a real response and fails on an undocumented status, header, body field or media type", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    const created = await callApi("post", "/api/v1/projects", { key: key.plaintext, body: { name: "Checked" } });
    const real = { status: created.status, headers: new Headers(created.headers), text: created.text };
    expect(contractViolations("post", "/api/v1/projects", real)).toEqual([]);

    const variant = (change: (r: { status: number; headers: Headers; text: string }) => void) => {
      const copy = { status: real.status, headers: new Headers(real.headers), text: real.text };
      change(copy);
      return contractViolations("post", "/api/v1/projects", copy).join("\n");
    };
    expect(variant((r) => (r.status = 200))).toMatch(/status 200 is not documented/);
    expect(variant((r) => (r.status = 404))).toMatch(/status 404 is not documented/);
    expect(variant((r) => r.headers.set("x-powered-by", "Next.js"))).toMatch(/header x-powered-by is not documented/);
    expect(variant((r) => r.headers.delete("x-request-id"))).toMatch(/required header x-request-id is missing/);
    expect(variant((r) => r.headers.set("ratelimit-remaining", "many"))).toMatch(/header ratelimit-remaining/);
    expect(variant((r) => (r.text = JSON.stringify({ ...created.json, orgId: a.org.id })))).toMatch(/body: .*additional properties/);
    expect(variant((r) => (r.text = JSON.stringify({ ...created.json, createdAt: "yesterday" })))).toMatch(/body: .*createdAt/);
    expect(variant((r) => r.headers.set("content-type", "text/html"))).toMatch(/content type "text\/html" is not documented/);

    // And callApi applies it: a response the document does not describe fails the calling test.
    const deleted = await callApi("delete", `/api/v1/projects/${String(created.json!.id)}`, { key: key.plaintext });
    expect(contractViolations("delete", "/api/v1/projects/{id}", { status: 204, headers: deleted.headers, text: "{}" }).join("\n")).toMatch(/no body/);
    expect(contractViolations("get", "/api/v1/projects/{id}", { status: 401, headers: new Headers({ "x-request-id": "req-12345678" }), text: "{}" }).join("\n")).toMatch(
      /required header www-authenticate is missing/,
    );
  });
});
