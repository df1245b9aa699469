import { handleGraphQL } from "@/lib/graphql/server";
import { measured } from "@/lib/api/handler";

/** GQL-1: partner GraphQL. Bearer key, rate limits, RLS and limits as in lib/graphql/server.ts. */
export const POST = measured((request: Request) => handleGraphQL(request));
