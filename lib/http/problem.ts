import { STATUS, type ErrorCode } from "@/lib/errors";

/** VAL-3: API errors as application/problem+json with a stable type and code; never internals. */
export function problem(code: ErrorCode, detail: string, init?: { requestId?: string | null }): Response {
  const status = STATUS[code];
  return new Response(
    JSON.stringify({ type: `https://tenantguard.dev/problems/${code}`, title: code.replace(/_/g, " "), status, code, detail, requestId: init?.requestId ?? undefined }),
    { status, headers: { "content-type": "application/problem+json" } },
  );
}
