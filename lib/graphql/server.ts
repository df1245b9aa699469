import "server-only";
import { createYoga, type Plugin } from "graphql-yoga";
import { NoSchemaIntrospectionCustomRule } from "graphql";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { env } from "@/lib/env";
import { InvalidApiKeyError, withApiKeyTenant } from "@/lib/api-keys";
import { appendAudit } from "@/lib/audit/writer";
import { recordCrossTenantProbe } from "@/lib/audit/security-events";
import { authenticateApiRequest, refuseInvalidKey } from "@/lib/api/handler";
import { apiLog } from "@/lib/api/log";
import { DatabaseUnavailableError, isPermissionDenied, type Queryable } from "@/lib/db";
import { isEnabled } from "@/lib/flags";
import { problemBody } from "@/lib/http/problem";
import { schema, type GraphQLContext } from "./schema";

/** GQL-1 limits: depth, cost, aliases, directives and tokens are bounded before anything executes. */
export const GRAPHQL_LIMITS = { maxDepth: 6, maxCost: 2_000, maxAliases: 10, maxDirectives: 10, maxTokens: 2_000 } as const;

/** Introspection is off in production (the schema is documented, not discoverable). */
export function disableIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

export function createGraphQLServer(options: { production: boolean; schema?: typeof schema }) {
  return createYoga<GraphQLContext>({
    schema: options.schema ?? schema,
    graphqlEndpoint: "/api/graphql",
    graphiql: false,
    landingPage: false,
    // VAL-3: unexpected errors are masked ("Unexpected error."); typed ones carry a code.
    maskedErrors: true,
    fetchAPI: { Response },
    plugins: [
      EnvelopArmorPlugin({
        // Introspection counts too: deeply nested __type queries are a classic denial of service.
        maxDepth: { n: GRAPHQL_LIMITS.maxDepth, ignoreIntrospection: false, flattenFragments: true },
        costLimit: { maxCost: GRAPHQL_LIMITS.maxCost },
        maxAliases: { n: GRAPHQL_LIMITS.maxAliases },
        maxDirectives: { n: GRAPHQL_LIMITS.maxDirectives },
        maxTokens: { n: GRAPHQL_LIMITS.maxTokens },
        blockFieldSuggestion: { enabled: true },
      }),
      ...(options.production ? [disableIntrospection()] : []),
    ],
  });
}

const yoga = createGraphQLServer({ production: env.NODE_ENV === "production" });

/**
 * POST /api/graphql (the route exports only POST, so queries never travel in URLs): the same key authentication and rate limits as REST (the `expensive` class), then the
 * whole operation in one tenant transaction, so RLS applies to every resolver (TEN-2, TEN-6).
 */
export async function handleGraphQL(request: Request, server = yoga): Promise<Response> {
  const auth = await authenticateApiRequest(request, { expensive: true });
  if (auth instanceof Response) return auth;
  const { key, limitHeaders, meta } = auth;
  // OPS-4: outside the graphql flag's rollout the endpoint does not exist for this key's org (REST is unchanged).
  if (!isEnabled("graphql", { orgId: key.orgId, role: "api" })) {
    return Response.json(problemBody("not_found", "Not found.", { requestId: meta.requestId }), {
      status: 404,
      headers: { "content-type": "application/problem+json", "x-request-id": meta.requestId },
    });
  }
  const notFound: GraphQLContext["notFound"] = [];
  let response: Response;
  try {
    response = await withApiKeyTenant(key, async (tx) => {
      // A failed statement aborts the transaction even when GraphQL turns it into a field error and carries on:
      // the operation must then fail as a whole, never be reported as done (PostgreSQL would answer the COMMIT
      // with a silent ROLLBACK, PGlite with an error).
      let aborted: { error: unknown } | null = null;
      const watch = (error: unknown): never => {
        aborted ??= { error };
        throw error;
      };
      const watched: Queryable = {
        query: <T extends object>(sql: string, params?: unknown[]) => tx.query<T>(sql, params).catch(watch),
        exec: (sql: string) => tx.exec(sql).catch(watch),
      };
      const result = await server.fetch(request, {
        tx: watched,
        key,
        notFound,
        audit: async (entry) => {
          await appendAudit(tx, { ...entry, orgId: key.orgId, actorType: "api_key", actorId: key.keyId, ...meta });
        },
      });
      // The body is read inside the transaction: resolvers must finish before it commits.
      const text = await result.text();
      if (aborted) throw (aborted as { error: unknown }).error;
      return new Response(text, { status: result.status, headers: result.headers });
    });
  } catch (error) {
    // Revoked, expired or deleted since it was cached: the database said so in this transaction (KEY-2).
    if (error instanceof InvalidApiKeyError) return refuseInvalidKey(meta);
    // VAL-3: the transaction failed (a resolver's statement aborted it, or the database went away), so nothing was
    // committed and whatever the resolvers answered is void: a generic error with the request id, never the cause.
    return transactionFailed(error, meta.requestId, limitHeaders);
  }
  for (const error of notFound) {
    await recordCrossTenantProbe({ claims: key.claims, orgId: key.orgId, actorType: "api_key", actorId: key.keyId, error, request: meta });
  }
  for (const [name, value] of Object.entries(limitHeaders)) response.headers.set(name, value);
  response.headers.set("x-request-id", meta.requestId);
  return response;
}

function transactionFailed(error: unknown, requestId: string, limitHeaders: Record<string, string>): Response {
  // RLS refused a statement the resolvers did not foresee (e.g. outside a key's project): deny, as REST does.
  if (isPermissionDenied(error)) {
    const body = { data: null, errors: [{ message: "This API key may not do that.", extensions: { code: "FORBIDDEN", requestId } }] };
    return Response.json(body, { status: 403, headers: { ...limitHeaders, "x-request-id": requestId } });
  }
  const unavailable = error instanceof DatabaseUnavailableError;
  if (!unavailable) apiLog("error", "unhandled GraphQL error", { requestId, error: error instanceof Error ? error.name : "unknown" });
  const message = unavailable ? "The service is temporarily unavailable. Nothing was changed; please retry." : "Unexpected error.";
  const body = { data: null, errors: [{ message, extensions: { code: unavailable ? "UNAVAILABLE" : "INTERNAL_SERVER_ERROR", requestId } }] };
  return Response.json(body, {
    status: unavailable ? 503 : 500,
    headers: { ...limitHeaders, "x-request-id": requestId, ...(unavailable ? { "retry-after": "5" } : {}) },
  });
}
