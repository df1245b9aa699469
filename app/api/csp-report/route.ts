import { CSP_REPORT_CONTENT_TYPES, CSP_REPORT_MAX_BYTES, parseCspReport, recordViolations } from "@/lib/security/csp-reports";
import { problemJson } from "@/lib/security/request-line.mjs";
import { createRateLimiter, hashedIdentifier, rateLimitedResponse } from "@/lib/ratelimit";
import { readBody, PayloadTooLargeError } from "@/lib/http/body";
import { requestContextFrom } from "@/lib/http/request-context";
import { problem } from "@/lib/http/problem";
import { DatabaseUnavailableError } from "@/lib/db";

/** HDR-2: where browsers send CSP violation reports (`report-uri` and `report-to`). Size- and rate-limited. */
const limiter = createRateLimiter({ name: "csp-report", limit: 30, window: "60 s" });

const refusal = (status: 400 | 415, code: string, title: string, detail: string, requestId: string | null) =>
  new Response(problemJson({ status, code, title, detail }, requestId), { status, headers: { "content-type": "application/problem+json" } });

export async function POST(request: Request) {
  const context = requestContextFrom(request.headers);
  const decision = await limiter.limit(hashedIdentifier("csp-report", context.ip ?? "unknown"));
  if (!decision.success) return rateLimitedResponse(decision, { requestId: context.requestId });

  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!CSP_REPORT_CONTENT_TYPES.includes(type)) {
    return refusal(415, "unsupported_media_type", "Unsupported media type", `Send ${CSP_REPORT_CONTENT_TYPES.join(" or ")}.`, context.requestId);
  }

  let payload: unknown;
  try {
    payload = JSON.parse(await readBody(request, CSP_REPORT_MAX_BYTES, 5_000));
  } catch (error) {
    if (error instanceof PayloadTooLargeError) return problem("payload_too_large", error.message, { requestId: context.requestId });
    return refusal(400, "malformed_report", "Malformed report", "The body is not JSON.", context.requestId);
  }
  const violations = parseCspReport(payload);
  if (!violations) return refusal(400, "malformed_report", "Malformed report", "The body is not a CSP report.", context.requestId);
  try {
    await recordViolations(violations, context.requestId);
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) return problem("unavailable", "Try again later.", { requestId: context.requestId });
    throw error;
  }
  return new Response(null, { status: 204 });
}
