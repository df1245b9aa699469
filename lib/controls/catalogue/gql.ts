import { evidence, family } from "../types";

const GRAPHQL = "tests/integration/graphql.test.ts";

export const GQL = family("GQL", [
  {
    id: "GQL-1",
    title: "Partner GraphQL with the same guarantees",
    description:
      "The partner GraphQL endpoint shares the REST API's key authentication, rate limits (in the expensive class) and row-level-security transaction. Every POST needs a valid key, introspection is off in production, and depth, cost, alias and token limits refuse abusive queries before they run.",
    status: "implemented",
    implementation: ["lib/graphql/server.ts", "lib/graphql/schema.ts", "app/api/graphql/route.ts"],
    evidence: [
      evidence(GRAPHQL, "requires a valid key on every POST"),
      evidence("tests/integration/graphql-documents.test.ts", "another org's key gets NOT_FOUND for each document by id, sees none of them, and the probe is recorded"),
      evidence("tests/integration/graphql-documents.test.ts", "a key scoped to another project of the same org gets NOT_FOUND for the document"),
      evidence(GRAPHQL, "answers queries through RLS with the key's scope"),
      evidence(GRAPHQL, "rejects too-deep queries and too many aliases before executing them"),
      evidence(GRAPHQL, "introspection is rejected in production mode"),
    ],
  },
]);
