import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { closeDb, ownerDb, withTenant } from "@/lib/db";
import { createProject, deleteProject, getProject, renameProject } from "@/lib/projects";
import { deleteApiKey, revokeApiKey, rollApiKey } from "@/lib/api-keys";
import { createGraphQLServer, handleGraphQL } from "@/lib/graphql/server";
import { revokeOwnSession } from "@/lib/actions/revoke-session";
import { readForPage } from "@/lib/pages/read";
import { viewProjectSchema } from "@/lib/projects/schemas";
import { createUser, orgWithMembers, request, signIn } from "../helpers/tenants";
import { callApi, newKey } from "../helpers/api";

// TEN-4: every way a caller can name a resource by id answers another tenant's id exactly like a missing one
// (404 / not_found, no detail of the other tenant) and records exactly one security event in the caller's org.

afterAll(closeDb);

const graphql = createGraphQLServer({ production: true });

async function gql(key: string, query: string, variables: Record<string, unknown>) {
  const res = await handleGraphQL(
    new Request("http://localhost:3000/api/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.21", authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    }),
    graphql,
  );
  return { status: res.status, text: await res.text() };
}

type World = Awaited<ReturnType<typeof world>>;

async function world() {
  const a = await orgWithMembers("Acme");
  const b = await orgWithMembers("Globex");
  const project = await createProject(b.member, { name: "Globex secret project" }, request());
  if (!project.ok) throw new Error("setup");
  const [doc] = await (await ownerDb()).query<{ id: string }>(
    "insert into public.documents (org_id, project_id, name, mime_type, size_bytes, created_by) values ($1, $2, 'globex-secret.pdf', 'application/pdf', 1, 'user_seed') returning id",
    [b.org.id, project.data.id],
  );
  const theirKey = await newKey(b.admin);
  const key = await newKey(a.admin);
  return { a, b, key, theirs: { project: project.data.id, document: doc!.id, apiKey: theirKey.id, session: b.member.sessionId } };
}

/** One way in, called with an id: the answer's status (404 or a form result's 404) and its text. */
interface Probe {
  name: string;
  resource: "project" | "document" | "api_key" | "session";
  target: (w: World) => string;
  /** Who the event names: the key for the partner API, the signed-in user otherwise. */
  actor: (w: World) => [string, string];
  /** Calls the real entry point as org A with `id`; returns the HTTP-like status and the answer as text. */
  call: (w: World, id: string) => Promise<{ status: number; text: string; code?: string }>;
}

const rest = (method: "get" | "patch" | "delete", path: (id: string) => string, body?: unknown) => async (w: World, id: string) => {
  const res = await callApi(method, path(id), { key: w.key.plaintext, ...(body ? { body } : {}) });
  return { status: res.status, text: res.text.replace(/"requestId":"[^"]+"/, ""), code: res.json?.code as string | undefined };
};

const action = (run: (w: World, id: string) => Promise<{ ok: boolean; status?: number; code?: string; message?: string }>) => async (w: World, id: string) => {
  const r = await run(w, id);
  if (r.ok) return { status: 200, text: "ok" };
  return { status: r.status ?? 0, text: JSON.stringify(r), code: r.code };
};

const graph = (query: string, variables: (id: string) => Record<string, unknown>) => async (w: World, id: string) => {
  const res = await gql(w.key.plaintext, query, variables(id));
  const body = JSON.parse(res.text) as { errors?: { extensions?: { code?: string } }[] };
  return { status: body.errors?.[0]?.extensions?.code === "NOT_FOUND" ? 404 : res.status, text: res.text, code: body.errors?.[0]?.extensions?.code };
};

const PROBES: Probe[] = [
  { name: "REST GET /projects/{id}", resource: "project", actor: (w) => ["api_key", w.key.id], target: (w) => w.theirs.project, call: rest("get", (id) => `/api/v1/projects/${id}`) },
  { name: "REST PATCH /projects/{id}", resource: "project", actor: (w) => ["api_key", w.key.id], target: (w) => w.theirs.project, call: rest("patch", (id) => `/api/v1/projects/${id}`, { name: "Mine now" }) },
  { name: "REST DELETE /projects/{id}", resource: "project", actor: (w) => ["api_key", w.key.id], target: (w) => w.theirs.project, call: rest("delete", (id) => `/api/v1/projects/${id}`) },
  { name: "REST GET /projects/{id}/documents", resource: "project", actor: (w) => ["api_key", w.key.id], target: (w) => w.theirs.project, call: rest("get", (id) => `/api/v1/projects/${id}/documents`) },
  { name: "REST GET /documents/{id}", resource: "document", actor: (w) => ["api_key", w.key.id], target: (w) => w.theirs.document, call: rest("get", (id) => `/api/v1/documents/${id}`) },
  { name: "GraphQL project(id)", resource: "project", actor: (w) => ["api_key", w.key.id], target: (w) => w.theirs.project, call: graph("query($id: ID!) { project(id: $id) { id name } }", (id) => ({ id })) },
  {
    name: "GraphQL renameProject",
    resource: "project",
    actor: (w) => ["api_key", w.key.id], target: (w) => w.theirs.project,
    call: graph("mutation($id: ID!) { renameProject(id: $id, name: \"Mine\") { id } }", (id) => ({ id })),
  },
  { name: "GraphQL deleteProject", resource: "project", actor: (w) => ["api_key", w.key.id], target: (w) => w.theirs.project, call: graph("mutation($id: ID!) { deleteProject(id: $id) }", (id) => ({ id })) },
  { name: "action projects.rename", resource: "project", actor: (w) => ["user", w.a.member.userId], target: (w) => w.theirs.project, call: action((w, id) => renameProject(w.a.member, { id, name: "Mine now" }, request())) },
  { name: "action projects.delete", resource: "project", actor: (w) => ["user", w.a.admin.userId], target: (w) => w.theirs.project, call: action((w, id) => deleteProject(w.a.admin, { id }, request())) },
  {
    name: "action api_keys.create scoped to their project",
    resource: "project",
    actor: (w) => ["user", w.a.admin.userId], target: (w) => w.theirs.project,
    call: action(async (w, id) => {
      const { createApiKey } = await import("@/lib/api-keys");
      return createApiKey(w.a.admin, { name: "Sneaky", permissions: "read", projectId: id }, request());
    }),
  },
  { name: "action api_keys.revoke", resource: "api_key", actor: (w) => ["user", w.a.admin.userId], target: (w) => w.theirs.apiKey, call: action((w, id) => revokeApiKey(w.a.admin, { id }, request())) },
  { name: "action api_keys.roll", resource: "api_key", actor: (w) => ["user", w.a.admin.userId], target: (w) => w.theirs.apiKey, call: action((w, id) => rollApiKey(w.a.admin, { id, graceSeconds: "0" }, request())) },
  { name: "action api_keys.delete", resource: "api_key", actor: (w) => ["user", w.a.admin.userId], target: (w) => w.theirs.apiKey, call: action((w, id) => deleteApiKey(w.a.admin, { id }, request())) },
  {
    name: "action sessions.revoke",
    resource: "session",
    actor: (w) => ["user", w.a.member.userId], target: (w) => w.theirs.session,
    call: async (w, id) => {
      const outcome = await revokeOwnSession(w.a.member, id, request());
      return { status: outcome === "not_found" ? 404 : 200, text: outcome };
    },
  },
  {
    name: "page /projects/[id]",
    resource: "project",
    actor: (w) => ["user", w.a.member.userId], target: (w) => w.theirs.project,
    call: async (w, id) => {
      const outcome = await readForPage(w.a.member, { name: "projects.view", minimumRole: "member", params: viewProjectSchema, read: ({ tx, params }) => getProject(tx, params.id) }, { id }, request());
      return { status: outcome.kind === "not_found" ? 404 : 200, text: outcome.kind };
    },
  },
];

async function securityEvents(w: World) {
  return withTenant(w.a.owner.claims, (tx) =>
    tx.query<{ target_type: string; target_id: string; actor_type: string; actor_id: string }>(
      "select target_type, target_id, actor_type, actor_id from public.audit_logs where action = 'security.cross_tenant_access' order by seq",
    ),
  );
}

/** A random id of the right shape that names nothing anywhere. */
const missing = (resource: Probe["resource"]) => (resource === "session" ? `sess_${randomUUID().replaceAll("-", "")}` : randomUUID());

describe("cross-tenant probes (TEN-4): 404, no disclosure, exactly one security event per probe", () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
  });

  it.each(PROBES.map((p) => [p.name, p] as const))("%s", async (_name, probe) => {
    const target = probe.target(w);
    const before = await securityEvents(w);

    const foreign = await probe.call(w, target);
    expect(foreign.status).toBe(404);
    if (foreign.code !== undefined) expect(["not_found", "NOT_FOUND"]).toContain(foreign.code);
    // No disclosure: the answer names neither the other org nor anything of its row.
    for (const secret of [w.b.org.id, w.b.org.slug, "Globex", "globex-secret"]) expect(foreign.text).not.toContain(secret);

    const after = await securityEvents(w);
    expect(after.length - before.length).toBe(1);
    const event = after.at(-1)!;
    expect(event).toMatchObject({ target_type: probe.resource, target_id: target });
    const [actorType, actorId] = probe.actor(w);
    expect(event).toMatchObject({ actor_type: actorType, actor_id: actorId });

    // The same entry point with an id that names nothing answers the same way and records nothing.
    const absent = await probe.call(w, missing(probe.resource));
    expect(absent.status).toBe(404);
    expect(absent.code).toBe(foreign.code);
    expect((await securityEvents(w)).length).toBe(after.length);
  });

  it("every resource kind is probed by at least one entry point", () => {
    expect(new Set(PROBES.map((p) => p.resource))).toEqual(new Set(["project", "document", "api_key", "session"]));
  });

  it("the other org's rows are untouched after every probe", async () => {
    const db = await ownerDb();
    const [project] = await db.query<{ name: string }>("select name from public.projects where id = $1", [w.theirs.project]);
    expect(project!.name).toBe("Globex secret project");
    const [key] = await db.query<{ revoked_at: Date | null; previous_expires_at: Date | null }>("select revoked_at, previous_expires_at from public.api_keys where id = $1", [w.theirs.apiKey]);
    expect(key).toEqual({ revoked_at: null, previous_expires_at: null });
    const [session] = await db.query<{ revoked_at: Date | null }>("select revoked_at from idp.sessions where id = $1", [w.theirs.session]);
    expect(session!.revoked_at).toBeNull();
    expect((await db.query("select 1 from public.audit_logs where org_id = $1 and action = 'security.cross_tenant_access'", [w.b.org.id])).length).toBe(0);
  });

  it("revoking one's own session twice, or one's own key after deleting it, is not a probe", async () => {
    const userId = await createUser([{ orgId: w.a.org.id, role: "member" }]);
    const mine = await signIn(userId, { ...w.a.org, role: "member" });
    const other = await signIn(userId, { ...w.a.org, role: "member" });
    const before = (await securityEvents(w)).length;
    expect(await revokeOwnSession(mine.session, other.session.sessionId, request())).toBe("revoked");
    expect(await revokeOwnSession(mine.session, other.session.sessionId, request())).toBe("not_found");
    const own = await newKey(w.a.admin);
    expect((await deleteApiKey(w.a.admin, { id: own.id }, request())).ok).toBe(true);
    expect(await revokeApiKey(w.a.admin, { id: own.id }, request())).toMatchObject({ ok: false, status: 404 });
    expect((await securityEvents(w)).length).toBe(before);
  });
});
