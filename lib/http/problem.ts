import { STATUS, type ErrorCode } from "@/lib/errors";

/** VAL-3: API errors as application/problem+json with a stable type and code; never internals. */
export function problem(code: ErrorCode, detail: string, init?: { requestId?: string | null; errors?: Record<string, string[]> }): Response {
  const status = STATUS[code];
  return new Response(JSON.stringify(problemBody(code, detail, init)), { status, headers: { "content-type": "application/problem+json" } });
}

export function problemBody(code: ErrorCode, detail: string, init?: { requestId?: string | null; errors?: Record<string, string[]> }) {
  return {
    type: `https://tenantguard.dev/problems/${code}`,
    title: TITLES[code],
    status: STATUS[code],
    code,
    detail,
    ...(init?.requestId ? { requestId: init.requestId } : {}),
    ...(init?.errors ? { errors: init.errors } : {}),
  };
}

export const TITLES: Record<ErrorCode, string> = {
  unauthenticated: "Authentication required",
  forbidden: "Forbidden",
  not_found: "Not found",
  method_not_allowed: "Method not allowed",
  invalid_input: "Invalid request",
  malformed_request: "Malformed request",
  payload_too_large: "Payload too large",
  length_required: "Length required",
  unsupported_media_type: "Unsupported media type",
  conflict: "Conflict",
  plan_limit: "Plan limit reached",
  second_factor_required: "Two-step verification required",
  rate_limited: "Too many requests",
  unavailable: "Service unavailable",
  internal: "Internal error",
};
