/** Typed errors, mapped to HTTP and form results in one place (lib/actions/pipeline.ts, lib/http/problem.ts). */
export type ErrorCode =
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "invalid_input"
  | "malformed_request"
  | "payload_too_large"
  | "length_required"
  | "unsupported_media_type"
  | "conflict"
  | "plan_limit"
  | "second_factor_required"
  | "rate_limited"
  | "unavailable"
  | "internal";

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "AppError";
  }
}

/** Every kind of resource a caller can name by id (TEN-4: each records a cross-tenant probe). */
export type ResourceKind = "project" | "document" | "api_key" | "session";

const RESOURCE_NAME: Record<ResourceKind, string> = { project: "project", document: "document", api_key: "API key", session: "session" };

/** TEN-4: what a caller may not see does not exist. `resource` lets the pipeline record cross-tenant probes. */
export class NotFoundError extends AppError {
  constructor(
    readonly resource: ResourceKind,
    readonly id: string,
  ) {
    super("not_found", `That ${RESOURCE_NAME[resource]} does not exist.`);
  }
}

/** VAL-1: input that failed its schema; `errors` maps field paths to messages, shown next to fields or in the API. */
export class ValidationError extends AppError {
  constructor(
    readonly errors: Record<string, string[]>,
    message = "The request is not valid.",
  ) {
    super("invalid_input", message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = "Your role does not allow this.") {
    super("forbidden", message);
  }
}

export const STATUS: Record<ErrorCode, number> = {
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  invalid_input: 422,
  // The edge refuses a malformed request line (lib/security/request-line.mjs): in the proxy, or in a route that runs it itself.
  malformed_request: 400,
  payload_too_large: 413,
  length_required: 411,
  unsupported_media_type: 415,
  conflict: 409,
  // BIL-1: a create the organisation's plan does not allow (Payment Required: upgrading lifts it).
  plan_limit: 402,
  // IDN-5: the org requires two-step verification (or a fresh one) for this operation.
  second_factor_required: 403,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};
