import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb } from "@/lib/db";
import { createApiKey } from "@/lib/api-keys";
import { createProject, renameProject } from "@/lib/projects";
import { INVISIBLE_CHARACTERS_MESSAGE } from "@/lib/validation/text";
import { orgWithMembers, request } from "../helpers/tenants";
import { callApi, newKey } from "../helpers/api";
import { handleGraphQL } from "@/lib/graphql/server";

// VAL-1: a right-to-left override makes "gnp.exe" display as "exe.png". Every way in refuses such a name (422,
// or BAD_USER_INPUT in GraphQL) with a field error, and writes nothing.

afterAll(closeDb);

const SPOOF = "invoice\u202Egnp.exe";

async function rowsOf(orgId: string) {
  const db = await ownerDb();
  const projects = await db.query<{ name: string }>("select name from public.projects where org_id = $1", [orgId]);
  const keys = await db.query<{ name: string }>("select name from public.api_keys where org_id = $1", [orgId]);
  const audit = await db.query<{ action: string }>("select action from public.audit_logs where org_id = $1 and action <> 'api_key.created'", [orgId]);
  return { projects: projects.map((r) => r.name), keys: keys.map((r) => r.name), audit: audit.map((r) => r.action) };
}

describe("names with text-direction or invisible characters are refused (VAL-1, GQL-1)", () => {
  it("server actions: create and rename a project, create an API key", async () => {
    const a = await orgWithMembers("Acme");
    const ok = await createProject(a.member, { name: "Plain" }, request());
    if (!ok.ok) throw new Error("setup");
    const before = await rowsOf(a.org.id);

    for (const [what, result] of [
      ["create project", await createProject(a.member, { name: SPOOF }, request())],
      ["rename project", await renameProject(a.member, { id: ok.data.id, name: SPOOF }, request())],
      ["create key", await createApiKey(a.admin, { name: SPOOF, permissions: "read" }, request())],
    ] as const) {
      expect(result, what).toMatchObject({ ok: false, status: 422, code: "invalid_input", fieldErrors: { name: [INVISIBLE_CHARACTERS_MESSAGE] } });
    }
    expect(await rowsOf(a.org.id)).toEqual(before);
  });

  it("partner API: POST and PATCH /api/v1/projects answer 422 problem+json with the field error", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    const created = await callApi("post", "/api/v1/projects", { key: key.plaintext, body: { name: "Plain" } });
    expect(created.status).toBe(201);
    const before = await rowsOf(a.org.id);

    for (const [method, path] of [
      ["post", "/api/v1/projects"],
      ["patch", `/api/v1/projects/${(created.json as { id: string }).id}`],
    ] as const) {
      const res = await callApi(method, path, { key: key.plaintext, body: { name: SPOOF } });
      expect(res.status, `${method} ${path}`).toBe(422);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.json).toMatchObject({ code: "invalid_input", errors: { "body.name": [INVISIBLE_CHARACTERS_MESSAGE] } });
    }
    expect(await rowsOf(a.org.id)).toEqual(before);
  });

  it("GraphQL: createProject and renameProject answer BAD_USER_INPUT with the field error", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    const plain = await createProject(a.member, { name: "Plain" }, request());
    if (!plain.ok) throw new Error("setup");
    const before = await rowsOf(a.org.id);
    for (const [query, variables] of [
      ["mutation($name: String!) { createProject(name: $name) { id } }", { name: SPOOF }],
      ["mutation($id: ID!, $name: String!) { renameProject(id: $id, name: $name) { id } }", { id: plain.data.id, name: SPOOF }],
    ] as const) {
      const res = await handleGraphQL(
        new Request("http://localhost:3000/api/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.22", authorization: `Bearer ${key.plaintext}` },
          body: JSON.stringify({ query, variables }),
        }),
      );
      const body = (await res.json()) as { errors?: { extensions?: { code?: string; errors?: Record<string, string[]> } }[] };
      expect(body.errors?.[0]?.extensions, query).toMatchObject({ code: "BAD_USER_INPUT", errors: { name: [INVISIBLE_CHARACTERS_MESSAGE] } });
    }
    expect(await rowsOf(a.org.id)).toEqual(before);
  });
});
