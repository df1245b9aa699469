import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withTenant } from "@/lib/db";
import { createProject } from "@/lib/projects";
import { handleGraphQL } from "@/lib/graphql/server";
import { documentSchema } from "@/lib/api/schemas";
import { orgWithMembers, request } from "../helpers/tenants";
import { callApi, newKey } from "../helpers/api";

// GQL-1 / FILE-2: the GraphQL Document carries what the REST Document does (status with the REST API's exact names,
// source), through the same RLS transaction: never another org's or another project's document.

afterAll(closeDb);

type Body = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };

async function gql(key: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await handleGraphQL(
    new Request("http://localhost:3000/api/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.21", authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    }),
  );
  return { status: res.status, body: (await res.json()) as Body };
}

const STATUSES = documentSchema.shape.status.options;

async function orgWithDocuments(name: string) {
  const org = await orgWithMembers(name);
  const project = await createProject(org.admin, { name: "Files" }, request());
  const other = await createProject(org.admin, { name: "Other" }, request());
  if (!project.ok || !other.ok) throw new Error("setup");
  const db = await ownerDb();
  const ids: Record<string, string> = {};
  for (const status of STATUSES) {
    const [row] = await db.query<{ id: string }>(
      `insert into public.documents (org_id, project_id, name, mime_type, size_bytes, created_by, status, storage_key, source)
       values ($1, $2, $3, 'text/plain', 12, 'user_x', $4, case $4 when 'clean' then 'files/' when 'infected' then null else 'quarantine/' end || $1 || '/x', $5)
       returning id`,
      [org.org.id, project.data.id, `${status}.txt`, status, status === "clean" ? "url" : "upload"],
    );
    ids[status] = row!.id;
  }
  return { org, projectId: project.data.id, otherProjectId: other.data.id, ids };
}

describe("GraphQL documents (GQL-1, FILE-2)", () => {
  it("every document status reads as the REST API names it, with its source, by id and through its project", async () => {
    const t = await orgWithDocuments("GqlDocs");
    const key = await newKey(t.org.admin, { permissions: "read" });
    expect(STATUSES).toEqual(["pending_scan", "clean", "infected", "rejected", "scan_failed"]);
    for (const status of STATUSES) {
      const id = t.ids[status]!;
      const viaGraphQL = await gql(key.plaintext, "query($id: ID!) { document(id: $id) { id projectId name status source sizeBytes mimeType } }", { id });
      expect(viaGraphQL.body.errors, status).toBeUndefined();
      const rest = await callApi("get", `/api/v1/documents/${id}`, { key: key.plaintext });
      expect(rest.status).toBe(200);
      expect(viaGraphQL.body.data!.document).toEqual({
        id,
        projectId: rest.json!.projectId,
        name: rest.json!.name,
        status: rest.json!.status,
        source: rest.json!.source,
        sizeBytes: rest.json!.sizeBytes,
        mimeType: rest.json!.mimeType,
      });
      expect(rest.json!.status).toBe(status);
    }
    const listed = await gql(key.plaintext, "query($id: ID!) { project(id: $id) { documents(first: 10) { nodes { id status } } } }", { id: t.projectId });
    const nodes = (listed.body.data!.project as { documents: { nodes: { id: string; status: string }[] } }).documents.nodes;
    expect(Object.fromEntries(nodes.map((n) => [n.status, n.id]))).toEqual(t.ids);
  });

  it("another org's key gets NOT_FOUND for each document by id, sees none of them, and the probe is recorded", async () => {
    const a = await orgWithDocuments("GqlDocsA");
    const b = await orgWithDocuments("GqlDocsB");
    const bKey = await newKey(b.org.admin, { permissions: "read" });
    for (const id of Object.values(a.ids)) {
      const res = await gql(bKey.plaintext, "query($id: ID!) { document(id: $id) { id status } }", { id });
      expect(res.body.data ?? null).toBeNull();
      expect(res.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
      expect(JSON.stringify(res.body)).not.toMatch(/pending_scan|infected|clean/);
    }
    // Nor through a project id of A's.
    const viaProject = await gql(bKey.plaintext, "query($id: ID!) { project(id: $id) { documents { nodes { id status } } } }", { id: a.projectId });
    expect(viaProject.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const own = await gql(bKey.plaintext, "{ projects(first: 5) { nodes { documents(first: 10) { nodes { id } } } } }");
    expect(own.body.errors).toBeUndefined();
    const seen = (own.body.data!.projects as { nodes: { documents: { nodes: { id: string }[] } }[] }).nodes.flatMap((p) => p.documents.nodes.map((d) => d.id));
    expect(seen.sort()).toEqual(Object.values(b.ids).sort());
    const events = await withTenant(b.org.owner.claims, (tx) => tx.query("select 1 from public.audit_logs where action = 'security.cross_tenant_access'"));
    expect(events.length).toBe(Object.keys(a.ids).length + 1);
  });

  it("a key scoped to another project of the same org gets NOT_FOUND for the document; a malformed id too", async () => {
    const t = await orgWithDocuments("GqlDocsScoped");
    const scoped = await newKey(t.org.admin, { permissions: "read", projectId: t.otherProjectId });
    const res = await gql(scoped.plaintext, "query($id: ID!) { document(id: $id) { id status } }", { id: t.ids.clean });
    expect(res.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const malformed = await gql(scoped.plaintext, '{ document(id: "../etc") { id } }');
    expect(malformed.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });
});
