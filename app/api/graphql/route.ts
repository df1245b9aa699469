import { handleGraphQL } from "@/lib/graphql/server";

/** GQL-1: partner GraphQL. Bearer key, rate limits, RLS and limits as in lib/graphql/server.ts. */
export const POST = (request: Request) => handleGraphQL(request);
