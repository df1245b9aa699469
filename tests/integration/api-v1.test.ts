import { afterAll, describe, expect, it } from "vitest";
import { Validator } from "@seriousme/openapi-schema-validator";
import { closeDb, ownerDb, withTenant } from "@/lib/db";
import { createProject } from "@/lib/projects";
import { revokeApiKey, deleteApiKey, rollApiKey } from "@/lib/api-keys";
import { API_ROUTES, openApiDocument } from "@/lib/api/openapi";
import { documentPage, documentSchema, downloadUrlSchema, projectPage, projectSchema, uploadedDocumentSchema } from "@/lib/api/schemas";
import { orgWithMembers, request } from "../helpers/tenants";
import { callApi, newKey } from "../helpers/api";
import { awayFromWindowEdge } from "../helpers/rate-limit-window";
import { tapLogOutput } from "@/lib/observability/logger";

afterAll(closeDb);

async function projectIn(session: Awaited<ReturnType<typeof orgWithMembers>>["member"], name: string) {
  const r = await createProject(session, { name }, request());
  if (!r.ok) throw new Error("setup");
  return r.data;
}

async function documentIn(orgId: string, projectId: string, name = "spec.pdf") {
  const [row] = await (await ownerDb()).query<{ id: string }>(
    "insert into public.documents (org_id, project_id, name, mime_type, size_bytes, created_by) values ($1, $2, $3, 'application/pdf', 1234, 'user_seed') returning id",
    [orgId, projectId, name],
  );
  return row!.id;
}

describe("partner API: key lifecycle through HTTP (KEY-1, KEY-2, KEY-5)", () => {
  it("a created key works; revoked, deleted, expired, unknown, truncated, other-prefix and malformed keys get the same 401", async () => {
    const a = await orgWithMembers("Acme");
    const good = await newKey(a.admin);
    expect((await callApi("get", "/api/v1/projects", { key: good.plaintext })).status).toBe(200);

    const revoked = await newKey(a.admin);
    expect((await revokeApiKey(a.admin, { id: revoked.id }, request())).ok).toBe(true);
    const deleted = await newKey(a.admin);
    expect((await deleteApiKey(a.admin, { id: deleted.id }, request())).ok).toBe(true);
    const expired = await newKey(a.admin);
    await (await ownerDb()).query("update public.api_keys set expires_at = now() - interval '1 second' where id = $1", [expired.id]);

    const body401 = (await callApi("get", "/api/v1/projects", { key: "tg_test_" + "A".repeat(43) })).text;
    const attempts: [string, { key?: string | null; authorization?: string }][] = [
      ["revoked", { key: revoked.plaintext }],
      ["deleted", { key: deleted.plaintext }],
      ["expired", { key: expired.plaintext }],
      ["truncated", { key: good.plaintext.slice(0, -1) }],
      ["other prefix", { key: good.plaintext.replace(/^tg_test_/, "sk_live_") }],
      ["missing", { key: null }],
      ["not bearer", { authorization: `Basic ${good.plaintext}` }],
      ["empty bearer", { authorization: "Bearer " }],
    ];
    for (const [what, init] of attempts) {
      const res = await callApi("get", "/api/v1/projects", init);
      expect(res.status, what).toBe(401);
      expect(res.text.replace(/"requestId":"[^"]+"/, ""), what).toBe(body401.replace(/"requestId":"[^"]+"/, ""));
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
  });

  it("the plaintext key appears in no table and no log line", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    const logged: string[] = [];
    const original = { log: console.log, error: console.error, warn: console.warn };
    console.log = console.error = console.warn = (...args: unknown[]) => void logged.push(args.map(String).join(" "));
    // The app's logger writes to file descriptor 1 itself, past console: read its own stream too.
    const untap = tapLogOutput((line) => void logged.push(line));
    try {
      await callApi("post", "/api/v1/projects", { key: key.plaintext, body: { name: "Via API" } });
      await callApi("get", "/api/v1/projects/not-a-uuid", { key: key.plaintext });
    } finally {
      untap();
      Object.assign(console, original);
    }
    expect(logged.join("\n")).not.toContain(key.plaintext);
    const db = await ownerDb();
    for (const table of ["public.api_keys", "public.audit_logs", "public.key_verifications", "public.notifications", "public.projects", "public.idempotency_keys"]) {
      const [hit] = await db.query<{ n: number }>(`select count(*)::int as n from ${table} t where t::text like '%' || $1 || '%'`, [key.plaintext]);
      expect(hit!.n, table).toBe(0);
    }
  });
});

describe("partner API: rotation and IP allow-lists through HTTP (KEY-2)", () => {
  it("after a roll both secrets work until the grace time, then only the new one; expiry is unchanged", async () => {
    const a = await orgWithMembers("Acme");
    const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const old = await newKey(a.admin, { expiresAt });
    const rolled = await rollApiKey(a.admin, { id: old.id, graceSeconds: 3600 }, request());
    if (!rolled.ok) throw new Error(JSON.stringify(rolled));
    expect(rolled.data.expiresAt && new Date(rolled.data.expiresAt).toISOString()).toBe(new Date(expiresAt).toISOString());
    for (const key of [old.plaintext, rolled.data.plaintext]) expect((await callApi("get", "/api/v1/projects", { key })).status).toBe(200);
    // The grace period ends (time travel as the owner).
    await (await ownerDb()).query("update public.api_keys set previous_expires_at = now() - interval '1 second' where id = $1", [old.id]);
    expect((await callApi("get", "/api/v1/projects", { key: old.plaintext })).status).toBe(401);
    expect((await callApi("get", "/api/v1/projects", { key: rolled.data.plaintext })).status).toBe(200);
  });

  it("a request from outside the key's allow-list gets the same 401 as an unknown key", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin, { ipAllowlist: "203.0.113.0/24\n2001:db8::/32" });
    expect((await callApi("get", "/api/v1/projects", { key: key.plaintext, ip: "203.0.113.77" })).status).toBe(200);
    expect((await callApi("get", "/api/v1/projects", { key: key.plaintext, ip: "2001:db8::5" })).status).toBe(200);
    const outside = await callApi("get", "/api/v1/projects", { key: key.plaintext, ip: "198.51.100.77" });
    const unknown = await callApi("get", "/api/v1/projects", { key: "tg_test_" + "B".repeat(43), ip: "198.51.100.78" });
    expect(outside.status).toBe(401);
    expect(outside.text.replace(/"requestId":"[^"]+"/, "")).toBe(unknown.text.replace(/"requestId":"[^"]+"/, ""));
    // A client-forged X-Forwarded-For entry does not get it in: only the entry our proxy added counts.
    expect((await callApi("get", "/api/v1/projects", { key: key.plaintext, ip: "203.0.113.77, 198.51.100.77" })).status).toBe(401);
  });

  it("an oversized body is 413 and writes nothing", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    const res = await callApi("post", "/api/v1/projects", { key: key.plaintext, rawBody: JSON.stringify({ name: "x", pad: "y".repeat(70 * 1024) }) });
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ code: "payload_too_large" });
    expect(await withTenant(a.member.claims, (tx) => tx.query("select 1 from public.projects"))).toEqual([]);
  });
});

describe("partner API: scope and permissions (KEY-3, TEN-6) and cross-org ids (TEN-4)", () => {
  it("a project-scoped key sees only its project; other projects are 404; it cannot create projects", async () => {
    const a = await orgWithMembers("Acme");
    const mine = await projectIn(a.member, "Mine");
    const other = await projectIn(a.member, "Other");
    await documentIn(a.org.id, mine.id, "mine.pdf");
    const otherDoc = await documentIn(a.org.id, other.id, "other.pdf");
    const scoped = await newKey(a.admin, { projectId: mine.id });

    const list = await callApi("get", "/api/v1/projects", { key: scoped.plaintext });
    expect((list.json!.data as { id: string }[]).map((p) => p.id)).toEqual([mine.id]);
    expect((await callApi("get", `/api/v1/projects/${mine.id}`, { key: scoped.plaintext })).status).toBe(200);
    for (const [method, extra] of [["get", {}], ["patch", { body: { name: "Hijacked" } }], ["delete", {}]] as const) {
      expect((await callApi(method, `/api/v1/projects/${other.id}`, { key: scoped.plaintext, ...extra })).status, method).toBe(404);
    }
    expect((await callApi("get", `/api/v1/projects/${other.id}/documents`, { key: scoped.plaintext })).status).toBe(404);
    expect((await callApi("get", `/api/v1/documents/${otherDoc}`, { key: scoped.plaintext })).status).toBe(404);
    const docs = await callApi("get", "/api/v1/documents", { key: scoped.plaintext });
    expect((docs.json!.data as { name: string }[]).map((d) => d.name)).toEqual(["mine.pdf"]);
    expect((await callApi("post", "/api/v1/projects", { key: scoped.plaintext, body: { name: "New" } })).status).toBe(403);

    const [still] = await (await ownerDb()).query<{ name: string }>("select name from public.projects where id = $1", [other.id]);
    expect(still!.name).toBe("Other");
  });

  it("a read-only key cannot write (403) and nothing changes", async () => {
    const a = await orgWithMembers("Acme");
    const p = await projectIn(a.member, "Read me");
    const readOnly = await newKey(a.admin, { permissions: "read" });
    expect((await callApi("get", `/api/v1/projects/${p.id}`, { key: readOnly.plaintext })).status).toBe(200);
    expect((await callApi("post", "/api/v1/projects", { key: readOnly.plaintext, body: { name: "x" } })).status).toBe(403);
    expect((await callApi("patch", `/api/v1/projects/${p.id}`, { key: readOnly.plaintext, body: { name: "x" } })).status).toBe(403);
    expect((await callApi("delete", `/api/v1/projects/${p.id}`, { key: readOnly.plaintext })).status).toBe(403);
    const rows = await withTenant(a.member.claims, (tx) => tx.query<{ name: string }>("select name from public.projects"));
    expect(rows.map((r) => r.name)).toEqual(["Read me"]);
  });

  it("org A's key with org B's ids gets 404, and the probe is a security event in A's audit log", async () => {
    const a = await orgWithMembers("Acme");
    const b = await orgWithMembers("Globex");
    const theirs = await projectIn(b.member, "Globex secret");
    const theirDoc = await documentIn(b.org.id, theirs.id);
    const key = await newKey(a.admin);
    for (const [method, path, extra] of [
      ["get", `/api/v1/projects/${theirs.id}`, {}],
      ["patch", `/api/v1/projects/${theirs.id}`, { body: { name: "Mine" } }],
      ["delete", `/api/v1/projects/${theirs.id}`, {}],
      ["get", `/api/v1/projects/${theirs.id}/documents`, {}],
      ["get", `/api/v1/documents/${theirDoc}`, {}],
    ] as const) {
      const res = await callApi(method, path, { key: key.plaintext, ...extra });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json).toMatchObject({ code: "not_found" });
    }
    const events = await withTenant(a.owner.claims, (tx) =>
      tx.query<{ actor_type: string; actor_id: string; target_type: string }>(
        "select actor_type, actor_id, target_type from public.audit_logs where action = 'security.cross_tenant_access' order by seq",
      ),
    );
    // TEN-4: exactly one event per probe, the document's included.
    expect(events.map((e) => e.target_type)).toEqual(["project", "project", "project", "project", "document"]);
    expect(events.every((e) => e.actor_type === "api_key" && e.actor_id === key.id)).toBe(true);
    const [row] = await (await ownerDb()).query<{ name: string }>("select name from public.projects where id = $1", [theirs.id]);
    expect(row!.name).toBe("Globex secret");
  });
});

describe("partner API: CRUD, pagination, idempotency, errors", () => {
  it("creates, reads, renames, pages through and deletes projects, auditing writes as the key", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    const created = [];
    for (let i = 0; i < 5; i++) {
      const res = await callApi("post", "/api/v1/projects", { key: key.plaintext, body: { name: `P${i}` } });
      expect(res.status).toBe(201);
      expect(projectSchema.safeParse(res.json).success).toBe(true);
      expect(res.headers.get("ratelimit-limit")).toBeTruthy();
      created.push(res.json as { id: string });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await callApi("get", "/api/v1/projects", { key: key.plaintext, query: `?limit=2${cursor ? `&cursor=${cursor}` : ""}` });
      expect(projectPage.safeParse(page.json).success).toBe(true);
      seen.push(...(page.json!.data as { id: string }[]).map((p) => p.id));
      cursor = page.json!.nextCursor as string | null;
    } while (cursor);
    expect(seen).toEqual(created.map((p) => p.id).reverse());

    const renamed = await callApi("patch", `/api/v1/projects/${created[0]!.id}`, { key: key.plaintext, body: { name: "Renamed" } });
    expect(renamed.json).toMatchObject({ name: "Renamed" });
    expect((await callApi("delete", `/api/v1/projects/${created[0]!.id}`, { key: key.plaintext })).status).toBe(204);
    expect((await callApi("get", `/api/v1/projects/${created[0]!.id}`, { key: key.plaintext })).status).toBe(404);

    const audit = await withTenant(a.owner.claims, (tx) => tx.query<{ action: string; actor_type: string }>("select action, actor_type from public.audit_logs where actor_type = 'api_key' order by seq"));
    expect(audit.map((r) => r.action)).toEqual([...Array(5).fill("project.created"), "project.renamed", "project.deleted"]);
  });

  it("Idempotency-Key replays the first response; the same key with a different body is 422", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    const headers = { "idempotency-key": "order-2026-11-24-001" };
    const first = await callApi("post", "/api/v1/projects", { key: key.plaintext, body: { name: "Once" }, headers });
    const again = await callApi("post", "/api/v1/projects", { key: key.plaintext, body: { name: "Once" }, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get("idempotency-replayed")).toBe("true");
    const different = await callApi("post", "/api/v1/projects", { key: key.plaintext, body: { name: "Twice" }, headers });
    expect(different.status).toBe(422);
    const rows = await withTenant(a.member.claims, (tx) => tx.query<{ name: string }>("select name from public.projects"));
    expect(rows.map((r) => r.name)).toEqual(["Once"]);
  });

  it("validation errors are 422 problem+json with per-field errors and no internals", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    const cases = [
      { body: { name: "" }, field: "body.name" },
      { body: { name: "ok", extra: 1 }, field: "body" },
      { rawBody: "{not json", field: "body" },
    ];
    for (const c of cases) {
      const res = await callApi("post", "/api/v1/projects", { key: key.plaintext, ...c });
      expect(res.status).toBe(422);
      expect(res.json).toMatchObject({ code: "invalid_input", status: 422 });
      expect(Object.keys(res.json!.errors as object)).toContain(c.field);
      expect(res.text).not.toMatch(/at .*\.ts|select |insert |node_modules/i);
    }
    expect((await callApi("get", "/api/v1/projects", { key: key.plaintext, query: "?limit=1000" })).status).toBe(422);
    expect((await callApi("get", "/api/v1/projects", { key: key.plaintext, query: "?cursor=%21%21" })).status).toBe(422);
    expect((await callApi("get", "/api/v1/projects", { key: key.plaintext, query: "?cursor=bm9wZQ" })).status).toBe(422);
  });

  it("bad keys are rate limited per client IP (429 with Retry-After and RateLimit headers)", async () => {
    await awayFromWindowEdge(60_000, 20_000); // an exact count in one-minute windows
    const ip = `198.51.100.${Math.floor(Math.random() * 200) + 20}`;
    let last;
    for (let i = 0; i < 61; i++) last = await callApi("get", "/api/v1/projects", { key: "tg_test_bad", ip });
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(last!.headers.get("ratelimit-remaining")).toBe("0");
  });
});

describe("OpenAPI (generated from the Zod schemas)", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(openApiDocument("http://localhost:3000") as never);
    expect(result).toEqual({ valid: true });
  });

  it("every route in it answers with its documented status and shape", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    const p = await projectIn(a.member, "Documented");
    const doc = await documentIn(a.org.id, p.id);
    const shapes: Record<string, { safeParse: (v: unknown) => { success: boolean } }> = {
      ProjectPage: projectPage,
      DocumentPage: documentPage,
      Project: projectSchema,
      Document: documentSchema,
      UploadedDocument: uploadedDocumentSchema,
      DownloadUrl: downloadUrlSchema,
    };
    // A download URL is issued only for a clean document (its scan is tests/integration/documents-pipeline.test.ts's).
    await (await ownerDb()).query("update public.documents set status = 'clean', storage_key = 'files/' || org_id || '/' || id where id = $1", [doc]);
    for (const spec of API_ROUTES) {
      // The import fetches a URL: documents-pipeline.test.ts runs it against a local server it starts.
      if (spec.operationId === "importDocument") continue;
      const victim = spec.method === "delete" && !spec.path.startsWith("/api/v1/documents/") ? (await projectIn(a.member, "To delete")).id : p.id;
      const path = spec.path.replace("{id}", spec.path.startsWith("/api/v1/documents/") ? doc : victim);
      const body = spec.body ? { name: "Documented 2" } : undefined;
      const file = spec.fileBody ? { rawBody: "documented\n", contentType: "text/plain", headers: { "x-file-name": "documented.txt" } } : {};
      const res = await callApi(spec.method, path, { key: key.plaintext, body, ...file });
      expect(res.status, `${spec.method} ${spec.path}`).toBe(spec.status);
      const doc3 = openApiDocument("http://localhost:3000");
      const schemaRef = (doc3.paths[spec.path]![spec.method] as { responses: Record<string, { content?: { "application/json": { schema: { $ref: string } } } }> }).responses[String(spec.status)]!.content?.["application/json"].schema.$ref;
      if (schemaRef) expect(shapes[schemaRef.split("/").at(-1)!]!.safeParse(res.json).success, spec.path).toBe(true);
    }
  });
});
