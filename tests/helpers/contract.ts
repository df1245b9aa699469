import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { openApiDocument } from "@/lib/api/openapi";
import { staticSecurityHeaders } from "@/lib/security/headers";
import { partnerCorsHeaders } from "@/lib/security/cors";

/**
 * The partner API's contract, checked on every response the test suite receives through callApi
 * (tests/helpers/api.ts): the status is documented for the operation, every header the document marks required is
 * present, no header appears that the document does not declare, header values and the body are valid against
 * their schemas (JSON Schema 2020-12, ajv), and the media type is the documented one.
 */

type Json = Record<string, unknown>;
interface HeaderObject {
  required?: boolean;
  schema: Json;
}
interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject | { $ref: string }>;
  content?: Record<string, { schema: Json }>;
}

/** Headers every HTTP response may carry that are not part of the API's contract. */
const TRANSPORT_HEADERS = new Set([
  "content-type",
  "content-length",
  // The edge pipeline's headers (lib/security/edge.ts: HDR-1..3), on every response of every route: the proxy adds
  // them, or the route itself where the proxy does not run (the uploads, FILE-1). Not part of the API's contract.
  ...Object.keys({ ...staticSecurityHeaders(true), ...partnerCorsHeaders(), "Content-Security-Policy": "", "Reporting-Endpoints": "" }).map((h) => h.toLowerCase()),
]);

const document = openApiDocument("https://app.tenantguard.dev");
const SCHEMAS_ID = "urn:tenantguard:openapi";

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
// The document's component schemas under one id, so `#/components/schemas/X` references resolve inside it.
ajv.addSchema({ $id: SCHEMAS_ID, $defs: rewriteRefs(document.components.schemas) as Json });

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === "$ref" && typeof v === "string" ? v.replace("#/components/schemas/", `${SCHEMAS_ID}#/$defs/`) : rewriteRefs(v)]),
    );
  }
  return value;
}

const compiled = new Map<string, ValidateFunction>();
function validatorFor(schema: Json): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) compiled.set(key, (validate = ajv.compile(rewriteRefs(schema) as Json)));
  return validate;
}

function resolve<T>(object: T | { $ref: string }): T {
  if (object && typeof object === "object" && "$ref" in object) {
    const [, kind, name] = /^#\/components\/(\w+)\/(.+)$/.exec(object.$ref) ?? [];
    const target = (document.components as Record<string, Record<string, unknown>>)[kind!]?.[name!];
    if (!target) throw new Error(`unresolvable $ref ${object.$ref}`);
    return target as T;
  }
  return object as T;
}

/** Header values are strings on the wire; integer headers are checked as the integers they spell. */
function headerValue(raw: string, schema: Json): unknown {
  return schema.type === "integer" && /^-?\d+$/.test(raw) ? Number(raw) : raw;
}

export interface ReceivedResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** The contract violations of one response to `method template` (an OpenAPI path such as /api/v1/projects/{id}). */
export function contractViolations(method: string, template: string, res: ReceivedResponse): string[] {
  const operation = (document.paths[template] as Record<string, { responses: Record<string, unknown> }> | undefined)?.[method];
  if (!operation) return [`${method} ${template} is not a documented operation`];
  const documented = operation.responses[String(res.status)];
  if (!documented) return [`status ${res.status} is not documented for ${method} ${template} (documented: ${Object.keys(operation.responses).join(", ")})`];
  const response = resolve<ResponseObject>(documented as ResponseObject);
  const problems: string[] = [];

  const declared = new Map(Object.entries(response.headers ?? {}).map(([name, h]) => [name.toLowerCase(), resolve<HeaderObject>(h)]));
  for (const [name, header] of declared) {
    const value = res.headers.get(name);
    if (value === null) {
      if (header.required) problems.push(`required header ${name} is missing`);
      continue;
    }
    const validate = validatorFor(header.schema);
    if (!validate(headerValue(value, header.schema))) problems.push(`header ${name}: ${JSON.stringify(value)} ${ajv.errorsText(validate.errors)}`);
  }
  for (const name of res.headers.keys()) {
    if (!declared.has(name) && !TRANSPORT_HEADERS.has(name)) problems.push(`header ${name} is not documented for ${res.status}`);
  }

  if (!response.content) {
    if (res.text !== "") problems.push(`a ${res.status} has no body in the document, but one was sent`);
    return problems;
  }
  const mediaType = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
  const media = response.content[mediaType];
  if (!media) return [...problems, `content type ${JSON.stringify(mediaType)} is not documented for ${res.status} (documented: ${Object.keys(response.content).join(", ")})`];
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    return [...problems, "the body is not JSON"];
  }
  const validate = validatorFor(media.schema);
  if (!validate(body)) problems.push(`body: ${ajv.errorsText(validate.errors)}`);
  return problems;
}

export function assertMatchesContract(method: string, template: string, res: ReceivedResponse): void {
  const problems = contractViolations(method, template, res);
  if (problems.length) throw new Error(`${method.toUpperCase()} ${template} -> ${res.status} breaks the OpenAPI contract:\n  ${problems.join("\n  ")}\n  body: ${res.text.slice(0, 500)}`);
}
