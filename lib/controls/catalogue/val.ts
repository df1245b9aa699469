import { evidence, family } from "../types";

const FUZZ = "tests/integration/api-fuzz.property.test.ts";
const API = "tests/integration/api-v1.test.ts";

export const VAL = family("VAL", [
  {
    id: "VAL-1",
    title: "Zod validation at every entry point",
    description:
      "Every server action, route handler and GraphQL resolver validates its input with a Zod schema (lengths, patterns, enums) before any work; invalid input gets per-field errors and writes nothing. Every user-visible name goes through one schema that normalises it and refuses text-direction overrides and invisible characters. Provider webhook payloads will go through the same kind of schema once they are received.",
    status: "implemented",
    implementation: ["lib/api/schemas.ts", "lib/projects/schemas.ts", "lib/api-keys/schemas.ts", "lib/validation/text.ts", "lib/actions/pipeline.ts", "lib/api/handler.ts", "lib/graphql/schema.ts", "lib/jobs/worker.ts"],
    evidence: [
      evidence(FUZZ, "every operation answers 2xx/4xx, problem+json, no internals, no write on rejection"),
      evidence(API, "validation errors are 422 problem+json with per-field errors and no internals"),
      evidence("tests/integration/projects-pipeline.test.ts", "invalid input gives field errors and writes nothing"),
      evidence("tests/integration/api-contract.test.ts", "JSON sent as text/plain, as a form, in latin1, or with no Content-Type is refused with 415"),
      evidence("tests/unit/api-keys-format.test.ts", "VAL-1: action schemas"),
      evidence("tests/unit/display-name.property.test.ts", "U+202E cannot make gnp.exe read as exe.png"),
      evidence("tests/integration/display-names.test.ts", "names with text-direction or invisible characters are refused"),
      evidence("tests/integration/auth-action-arguments.test.ts", "the sign-in action answers %s with its invalid-input state and signs nobody in"),
      evidence("tests/integration/jobs.test.ts", "an invalid payload is dead at once, never retried, and the handler never runs (VAL-1)"),
    ],
    limitations: ["Webhook receivers do not exist yet (#14)."],
  },
  {
    id: "VAL-2",
    title: "Body size and time limits",
    description:
      "Request bodies are limited twice: a declared size over the limit is refused before any handler runs, and handlers read bodies with a hard cap. Every request transaction carries a statement time limit, so one slow query cannot hold a connection.",
    status: "implemented",
    implementation: ["proxy.ts", "lib/http/body.ts", "lib/db/index.ts"],
    evidence: [
      evidence(API, "an oversized body is 413 and writes nothing"),
      evidence("tests/integration/statement-timeout.test.ts", "request transactions have a time limit (VAL-2)"),
      evidence("tests/integration/prepared-statements.test.ts", "the preamble's statement time limit covers the prepared statement pipelined behind it"),
    ],
  },
  {
    id: "VAL-3",
    title: "Consistent errors that leak nothing",
    description:
      "Errors are typed and mapped to responses in one place: the partner API answers `application/problem+json` with a stable code, GraphQL masks unexpected errors, and pages show plain messages. No response carries a stack trace, SQL, a file path or a driver message; a database outage is a 503, not a crash.",
    status: "implemented",
    implementation: [
      "lib/errors.ts",
      "lib/http/problem.ts",
      "lib/api/handler.ts",
      "lib/graphql/server.ts",
      "lib/db/engine.ts",
      "lib/security/request-line.mjs",
      "scripts/server.mjs",
      "app/error.tsx",
    ],
    evidence: [
      evidence("tests/integration/api-unexpected-errors.test.ts", "unexpected errors answer a generic problem and leak nothing"),
      evidence("tests/integration/graphql.test.ts", "masks unexpected errors (VAL-3): a resolver's database error and a thrown Error"),
      evidence(FUZZ, "every operation answers 2xx/4xx, problem+json, no internals"),
      evidence("tests/integration/proxy.test.ts", "request lines Next.js cannot serve get a 4xx problem, never a 500"),
      evidence("tests/integration/api-contract.test.ts", "unsupported methods and unknown paths answer problem+json (VAL-3)"),
      evidence("tests/integration/api-contract.test.ts", "the contract check applied to every API response in the suite"),
      evidence("tests/integration/database-unavailable-embedded.test.ts", "every path answers 'unavailable', nothing internal reaches a client"),
      evidence("tests/integration/database-unavailable.test.ts", "the database refuses or cannot be reached: every path answers 'unavailable'"),
      evidence("tests/integration/database-missing.test.ts", "the partner API answers 503 problem+json with Retry-After and no internals"),
      evidence("tests/unit/db-error-classification.test.ts", "isConnectionError: the one classifier of database outages"),
      evidence("tests/integration/page-pipeline-unavailable.test.ts", "page answers 'temporarily unavailable', not an error"),
    ],
  },
  {
    id: "VAL-4",
    title: "Idempotency keys for partner-API writes",
    description:
      "Partner-API writes accept an `Idempotency-Key`: a retry with the same key and body replays the first response instead of acting twice, and the same key with a different body is refused. Records live in the database, so the guarantee holds across instances.",
    status: "implemented",
    implementation: ["lib/api/idempotency.ts", "supabase/migrations/20261124000700_idempotency.sql"],
    evidence: [evidence(API, "Idempotency-Key replays the first response; the same key with a different body is 422")],
  },
]);
