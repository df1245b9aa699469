import "server-only";
import { GraphQLError } from "graphql";
import { createSchema } from "graphql-yoga";
import { z } from "zod";
import type { Queryable } from "@/lib/db";
import type { VerifiedApiKey } from "@/lib/api-keys";
import type { AuditEntry } from "@/lib/audit/writer";
import { getProject, insertProject, pageProjects, removeProject, updateProjectName } from "@/lib/projects/store";
import { getDocument, pageDocuments } from "@/lib/documents/store";
import { projectId, projectName } from "@/lib/projects/schemas";
import { cursorPosition, documentResource, projectResource } from "@/lib/api/resources";
import { encodeCursor, cursorSchema } from "@/lib/api/schemas";
import { AppError, NotFoundError, ValidationError } from "@/lib/errors";

/** GQL-1: the partner GraphQL schema. Same data access, same RLS transaction, same validation as REST. */
export interface GraphQLContext {
  tx: Queryable;
  key: VerifiedApiKey;
  audit(entry: Pick<AuditEntry, "action" | "targetType" | "targetId" | "changes">): Promise<void>;
  /** Resources that answered "not found", for the cross-tenant security event after the request. */
  notFound: NotFoundError[];
}

const typeDefs = /* GraphQL */ `
  type Project {
    id: ID!
    name: String!
    createdBy: String!
    createdAt: String!
    updatedAt: String!
    documents(first: Int = 20, after: String): DocumentConnection!
  }

  "FILE-2: the virus scan's state, named as in the REST API; only clean documents can be downloaded."
  enum DocumentStatus {
    pending_scan
    clean
    infected
    rejected
    scan_failed
  }

  "How a document arrived: uploaded, or imported from a URL."
  enum DocumentSource {
    upload
    url
  }

  "A document's metadata, never its content (the REST API's Document)."
  type Document {
    id: ID!
    projectId: ID!
    name: String!
    mimeType: String!
    sizeBytes: Int!
    status: DocumentStatus!
    source: DocumentSource!
    createdBy: String!
    createdAt: String!
  }

  type ProjectConnection {
    nodes: [Project!]!
    nextCursor: String
  }

  type DocumentConnection {
    nodes: [Document!]!
    nextCursor: String
  }

  type Query {
    projects(first: Int = 20, after: String): ProjectConnection!
    project(id: ID!): Project!
    document(id: ID!): Document!
  }

  type Mutation {
    createProject(name: String!): Project!
    renameProject(id: ID!, name: String!): Project!
    deleteProject(id: ID!): ID!
  }
`;

const pageArgs = z.object({ first: z.number().int().min(1).max(100), after: cursorSchema.nullish() });

/** VAL-1 for resolvers: Zod first; failures are client errors with a stable code, never masked internals. */
function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(Object.fromEntries(parsed.error.issues.map((i) => [i.path.join(".") || "_", [i.message]])));
  return parsed.data;
}

/** Typed errors -> GraphQL errors the client may see (code in extensions). Anything else stays masked. */
export function toGraphQLError(error: unknown): GraphQLError | null {
  if (error instanceof NotFoundError) return new GraphQLError(error.message, { extensions: { code: "NOT_FOUND", http: { status: 200 } } });
  if (error instanceof ValidationError) return new GraphQLError(error.message, { extensions: { code: "BAD_USER_INPUT", errors: error.errors } });
  if (error instanceof AppError) return new GraphQLError(error.message, { extensions: { code: error.code.toUpperCase() } });
  return null;
}

async function guard<T>(ctx: GraphQLContext, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof NotFoundError) ctx.notFound.push(error);
    throw toGraphQLError(error) ?? error;
  }
}

function requireWrite(ctx: GraphQLContext) {
  if (!ctx.key.permissions.includes("write")) throw new GraphQLError("This API key is read-only.", { extensions: { code: "FORBIDDEN" } });
}

type ProjectView = ReturnType<typeof projectResource>;

const resolvers = {
  Query: {
    projects: (_: unknown, args: unknown, ctx: GraphQLContext) =>
      guard(ctx, async () => {
        const { first, after } = parse(pageArgs, args);
        const page = await pageProjects(ctx.tx, { limit: first, after: cursorPosition(after ?? undefined) });
        return { nodes: page.items.map(projectResource), nextCursor: encodeCursor(page.next) };
      }),
    project: (_: unknown, args: unknown, ctx: GraphQLContext) =>
      guard(ctx, async () => {
        const { id } = parse(z.object({ id: z.string() }), args);
        if (!projectId.safeParse(id).success) throw new NotFoundError("project", id);
        return projectResource(await getProject(ctx.tx, id));
      }),
    // TEN-4: another org's (or another project's, for a scoped key) document is NOT_FOUND, like a missing one.
    document: (_: unknown, args: unknown, ctx: GraphQLContext) =>
      guard(ctx, async () => {
        const { id } = parse(z.object({ id: z.string() }), args);
        if (!z.uuid().safeParse(id).success) throw new NotFoundError("document", id);
        return documentResource(await getDocument(ctx.tx, id));
      }),
  },
  Project: {
    documents: (project: ProjectView, args: unknown, ctx: GraphQLContext) =>
      guard(ctx, async () => {
        const { first, after } = parse(pageArgs, args);
        const page = await pageDocuments(ctx.tx, { projectId: project.id, limit: first, after: cursorPosition(after ?? undefined) });
        return { nodes: page.items.map(documentResource), nextCursor: encodeCursor(page.next) };
      }),
  },
  Mutation: {
    createProject: (_: unknown, args: unknown, ctx: GraphQLContext) =>
      guard(ctx, async () => {
        requireWrite(ctx);
        if (ctx.key.projectId) throw new GraphQLError("This API key is scoped to one project and cannot create projects.", { extensions: { code: "FORBIDDEN" } });
        const { name } = parse(z.object({ name: projectName }), args);
        const project = await insertProject(ctx.tx, { orgId: ctx.key.orgId, name, createdBy: `key_${ctx.key.keyId}` });
        await ctx.audit({ action: "project.created", targetType: "project", targetId: project.id, changes: { name } });
        return projectResource(project);
      }),
    renameProject: (_: unknown, args: unknown, ctx: GraphQLContext) =>
      guard(ctx, async () => {
        requireWrite(ctx);
        const { id, name } = parse(z.object({ id: z.string(), name: projectName }), args);
        if (!projectId.safeParse(id).success) throw new NotFoundError("project", id);
        const { before, after } = await updateProjectName(ctx.tx, id, name);
        await ctx.audit({ action: "project.renamed", targetType: "project", targetId: id, changes: { name: { from: before.name, to: name } } });
        return projectResource(after);
      }),
    deleteProject: (_: unknown, args: unknown, ctx: GraphQLContext) =>
      guard(ctx, async () => {
        requireWrite(ctx);
        const { id } = parse(z.object({ id: z.string() }), args);
        if (!projectId.safeParse(id).success) throw new NotFoundError("project", id);
        const removed = await removeProject(ctx.tx, id);
        await ctx.audit({ action: "project.deleted", targetType: "project", targetId: id, changes: { name: removed.name } });
        return id;
      }),
  },
};

/**
 * The partner schema, optionally extended (more types and resolvers on top of the partner ones, e.g. a field
 * that fails on purpose in the masking tests). Served by createGraphQLServer in lib/graphql/server.ts.
 */
export function buildPartnerSchema(extension?: { typeDefs: string; resolvers: Record<string, Record<string, unknown>> }) {
  return createSchema<GraphQLContext>({
    typeDefs: extension ? [typeDefs, extension.typeDefs] : typeDefs,
    resolvers: extension ? [resolvers, extension.resolvers] : resolvers,
  });
}

export const schema = buildPartnerSchema();
