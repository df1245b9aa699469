import { describe, expect, it } from "vitest";
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020";
import { openApiDocument } from "@/lib/api/openapi";
import { UPLOAD_MEDIA_TYPES } from "@/lib/api/schemas";

/**
 * The partner API's OpenAPI document is one a partner can generate a client from: valid OpenAPI 3.1 (JSON Schema
 * 2020-12 component schemas) and clean under Redocly's strictest built-in ruleset, with these rules added on top
 * (beyond recommended-strict) so the document keeps its promises about headers, media types and examples.
 * Turned off or narrowed, with the reason:
 *   - path-segment-plural: `api` and `v1` are prefixes, not collections.
 *   - request-mime-type: JSON, and the file types of the one upload route, whose body is the file itself.
 */
const RULES = {
  "info-contact": "error",
  "tags-alphabetical": "error",
  "scalar-property-missing-example": "error",
  "required-string-property-missing-min-length": "error",
  "operation-4xx-problem-details-rfc7807": "error",
  "path-segment-plural": { severity: "error", exceptions: ["api", "v1"] },
  // JSON bodies everywhere, except the one upload route whose body is the file itself (FILE-1's allow-list).
  "request-mime-type": { severity: "error", allowedValues: ["application/json", ...UPLOAD_MEDIA_TYPES] },
  "response-mime-type": { severity: "error", allowedValues: ["application/json", "application/problem+json"] },
  "response-contains-header": {
    severity: "error",
    names: { "2XX": ["X-Request-ID", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"], "4XX": ["X-Request-ID"], "429": ["Retry-After"], "5XX": ["X-Request-ID"] },
  },
} as const;

// The linter's own rule: a server URL on localhost or example.com is an error. The document's server is the deployment's APP_URL.
const document = () => openApiDocument("https://app.tenantguard.dev");

/** Component schemas that JSON Schema 2020-12's meta-schema refuses (e.g. a `$id` with a fragment), with ajv's reasons. */
function invalidSchemas(doc: ReturnType<typeof openApiDocument>): string[] {
  const ajv = new Ajv2020({ strict: true });
  return Object.entries(doc.components.schemas).flatMap(([name, schema]) =>
    ajv.validateSchema(schema as object) ? [] : [`${name}: ${ajv.errorsText(ajv.errors)}`],
  );
}

async function lint(doc: unknown) {
  const config = await createConfig({ extends: ["recommended-strict"], rules: RULES as never });
  const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: "/openapi.json", config });
  return problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? "?"}`);
}

describe("OpenAPI document, strict checks", () => {
  it("is valid OpenAPI 3.1", async () => {
    expect(await new Validator().validate(document() as never)).toEqual({ valid: true });
  });

  it("every component schema is valid JSON Schema 2020-12", () => {
    expect(invalidSchemas(document())).toEqual([]);
  });

  it("has zero errors and zero warnings under Redocly recommended-strict plus the header, media-type and example rules", async () => {
    expect(await lint(document())).toEqual([]);
  });

  it("the linter notices a missing response header, an undocumented error response and a $id in a component schema", async () => {
    const noRequestId = document();
    delete (noRequestId.components.responses.NotFound!.headers as Record<string, unknown>)["X-Request-ID"];
    expect((await lint(noRequestId)).join("\n")).toMatch(/response-contains-header/);

    const bare = document() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    bare.paths["/api/v1/projects"]!.get!.responses["400"] = { description: "Bad" };
    expect((await lint(bare)).join("\n")).toMatch(/operation-4xx-problem-details-rfc7807/);

    const withId = document();
    (withId.components.schemas.Project as Record<string, unknown>).$id = "#/components/schemas/Project";
    expect(invalidSchemas(withId)).toEqual([expect.stringMatching(/^Project: .*\$id/)]);
  });
});
