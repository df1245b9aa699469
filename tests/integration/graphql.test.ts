import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withTenant } from "@/lib/db";
import { createProject } from "@/lib/projects";
import { createGraphQLServer, handleGraphQL } from "@/lib/graphql/server";
import { buildPartnerSchema, type GraphQLContext } from "@/lib/graphql/schema";
import { orgWithMembers, request } from "../helpers/tenants";
import { newKey } from "../helpers/api";

afterAll(closeDb);

const production = createGraphQLServer({ production: true });

async function gql(key: string | null, query: string, variables: Record<string, unknown> = {}, server?: ReturnType<typeof createGraphQLServer>) {
  const res = await handleGraphQL(
    new Request("http://localhost:3000/api/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.20", ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query, variables }),
    }),
    server,
  );
  return { status: res.status, headers: res.headers, body: (await res.json()) as { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] } };
}

async function setup() {
  const a = await orgWithMembers("Acme");
  const p = await createProject(a.member, { name: "Alpha" }, request());
  if (!p.ok) throw new Error("setup");
  return { a, project: p.data };
}

describe("GraphQL (GQL-1)", () => {
  it("requires a valid key on every POST", async () => {
    const res = await gql(null, "{ projects { nodes { id } } }");
    expect(res.status).toBe(401);
  });

  it("answers queries through RLS with the key's scope, with rate-limit headers", async () => {
    const { a, project } = await setup();
    const key = await newKey(a.admin, { permissions: "read" });
    const res = await gql(key.plaintext, "{ projects(first: 5) { nodes { id name documents { nodes { id } } } nextCursor } }");
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ projects: { nodes: [{ id: project.id, name: "Alpha", documents: { nodes: [] } }], nextCursor: null } });
    expect(res.headers.get("ratelimit-limit")).toBeTruthy();
  });

  it("org A's key with org B's id gets NOT_FOUND and a security event", async () => {
    const { a } = await setup();
    const b = await setup();
    const key = await newKey(a.admin);
    for (const query of [
      `{ project(id: "${b.project.id}") { id name } }`,
      `mutation { renameProject(id: "${b.project.id}", name: "Mine") { id } }`,
      `mutation { deleteProject(id: "${b.project.id}") }`,
    ]) {
      const res = await gql(key.plaintext, query);
      expect(res.body.errors?.[0]?.extensions?.code, query).toBe("NOT_FOUND");
      expect(res.body.data ?? null).toBeNull();
    }
    const [row] = await (await ownerDb()).query<{ name: string }>("select name from public.projects where id = $1", [b.project.id]);
    expect(row!.name).toBe("Alpha");
    const events = await withTenant(a.owner.claims, (tx) => tx.query("select 1 from public.audit_logs where action = 'security.cross_tenant_access'"));
    expect(events).toHaveLength(3);
  });

  it("mutations need a write key, validate input, and are audited as the key", async () => {
    const { a } = await setup();
    const readOnly = await newKey(a.admin, { permissions: "read" });
    const denied = await gql(readOnly.plaintext, 'mutation { createProject(name: "Nope") { id } }');
    expect(denied.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");

    const writer = await newKey(a.admin);
    const invalid = await gql(writer.plaintext, "mutation($n: String!) { createProject(name: $n) { id } }", { n: "x".repeat(101) });
    expect(invalid.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");

    const created = await gql(writer.plaintext, 'mutation { createProject(name: "Via GraphQL") { id name } }');
    expect(created.body.data).toMatchObject({ createProject: { name: "Via GraphQL" } });
    const rows = await withTenant(a.member.claims, (tx) => tx.query<{ name: string }>("select name from public.projects order by name"));
    expect(rows.map((r) => r.name)).toEqual(["Alpha", "Via GraphQL"]);
    const audit = await withTenant(a.owner.claims, (tx) => tx.query<{ actor_type: string; actor_id: string }>("select actor_type, actor_id from public.audit_logs where action = 'project.created' and actor_type = 'api_key'"));
    expect(audit).toEqual([{ actor_type: "api_key", actor_id: writer.id }]);
  });

  it("rejects too-deep queries and too many aliases before executing them", async () => {
    const { a } = await setup();
    const key = await newKey(a.admin);
    const deep = await gql(key.plaintext, "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }");
    expect(deep.body.data ?? null).toBeNull();
    expect(deep.body.errors?.[0]?.message).toMatch(/depth/i);
    const aliases = Array.from({ length: 12 }, (_, i) => `a${i}: projects { nextCursor }`).join(" ");
    const many = await gql(key.plaintext, `{ ${aliases} }`);
    expect(many.body.errors?.[0]?.message).toMatch(/alias/i);
  });

  it("introspection is rejected in production mode, available otherwise", async () => {
    const { a } = await setup();
    const key = await newKey(a.admin);
    const introspection = "{ __schema { queryType { name } } }";
    const prod = await gql(key.plaintext, introspection, {}, production);
    expect(prod.body.data ?? null).toBeNull();
    expect(prod.body.errors?.[0]?.message).toMatch(/introspection/i);
    const dev = await gql(key.plaintext, introspection);
    expect(dev.body.data).toEqual({ __schema: { queryType: { name: "Query" } } });
  });

  it("a typed validation error is a client error with a code, without internals", async () => {
    const { a } = await setup();
    const key = await newKey(a.admin);
    const res = await gql(key.plaintext, "{ projects(first: 1, after: \"!!\") { nextCursor } }");
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(JSON.stringify(res.body)).not.toMatch(/stack|\.ts:|node_modules/);
  });

  it("masks unexpected errors (VAL-3): a resolver's database error and a thrown Error reach the client as 'Unexpected error.'", async () => {
    // The partner schema from lib/graphql's own factory, plus fields whose resolvers fail unexpectedly: a real
    // database error (a missing table) and an Error carrying SQL, a stack and a file path.
    const secret = "select api_secret from internal.credentials failed at /srv/app/lib/internal/credentials.ts:42";
    const failing = createGraphQLServer({
      production: false,
      schema: buildPartnerSchema({
        typeDefs: "extend type Query { brokenQuery: String, brokenCode: String } extend type Mutation { brokenWrite: String }",
        resolvers: {
          Mutation: {
            brokenWrite: async (_: unknown, __: unknown, ctx: GraphQLContext) => {
              await ctx.tx.query("insert into public.no_such_credentials values (1)");
              return "unreachable";
            },
          },
          Query: {
            brokenQuery: async (_: unknown, __: unknown, ctx: GraphQLContext) => {
              await ctx.tx.query("select api_secret from public.no_such_credentials");
              return "unreachable";
            },
            brokenCode: () => {
              const error = new Error(secret);
              error.stack = `Error: ${secret}\n    at loadCredentials (/srv/app/lib/internal/credentials.ts:42:11)`;
              throw error;
            },
          },
        },
      }),
    });
    const { a } = await setup();
    const key = await newKey(a.admin);
    for (const field of ["brokenQuery", "brokenCode"]) {
      const res = await gql(key.plaintext, `{ ${field} }`, {}, failing);
      // A thrown Error is one failed field (200); a failed statement aborts the transaction, so the whole
      // operation fails (500). Either way the client sees only the generic message.
      expect(res.status, field).toBe(field === "brokenQuery" ? 500 : 200);
      expect(res.body.errors?.map((e) => e.message), field).toEqual(["Unexpected error."]);
      expect(res.body.data?.[field] ?? null, field).toBeNull();
      const text = JSON.stringify(res.body);
      for (const leak of [/no_such_credentials|api_secret|credentials/, /select|relation|SQLSTATE|42P01/i, /stack|\/srv\/app|\.ts:|node_modules/]) expect(text, field).not.toMatch(leak);
      expect(res.headers.get("x-request-id"), field).toBeTruthy();
    }

    // A mutation that succeeded before a statement failed in the same operation is not reported as done, and
    // nothing of the operation is written.
    const mixed = await gql(key.plaintext, 'mutation { createProject(name: "Half done") { id } brokenWrite }', {}, failing);
    expect(mixed.status).toBe(500);
    expect(mixed.body.data ?? null).toBeNull();
    expect(mixed.body.errors?.map((e) => e.message)).toEqual(["Unexpected error."]);
    const rows = await (await ownerDb()).query("select 1 from public.projects where name = 'Half done'");
    expect(rows).toEqual([]);
  });
});
