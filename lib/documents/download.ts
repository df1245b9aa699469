import "server-only";
import { Readable } from "node:stream";
import { AppError } from "@/lib/errors";
import { problem } from "@/lib/http/problem";
import { requestContextFrom } from "@/lib/http/request-context";
import { acceptRequestId } from "@/lib/http/request-id";
import { logger } from "@/lib/observability/logger";
import { recordRateLimitHit } from "@/lib/observability/metrics";
import { createAppRateLimiters, hashedIdentifier, rateLimitedResponse, type RateLimitDecision } from "@/lib/ratelimit";
import { openDownload } from "./pipeline";
import { noteSecurityEvent } from "@/lib/audit/alerts";
import { SECURITY_EVENT } from "@/lib/audit/events";

const limiters = createAppRateLimiters({
  // RL-3: every refusal is counted (rate_limit_hits_total) and logged, without the token or the address.
  onLimitHit: (e) => {
    recordRateLimitHit(e.limiter);
    void noteSecurityEvent(SECURITY_EVENT.rateLimited, { subject: `${e.limiter}:${e.identifier}`, details: { limiter: e.limiter } });
    logger.warn({ scope: "documents.download", limiter: e.limiter, backend: e.backend }, "rate limit hit");
  },
  onBackendError: (e) => logger.warn({ scope: "documents.download", limiter: e.limiter, backend: e.backend }, "rate limit backend unavailable, using in-memory fallback"),
});

class DownloadRateLimited extends Error {
  constructor(readonly decision: RateLimitDecision) {
    super("rate limited");
  }
}

/**
 * FILE-3 / RL-1: `GET /api/documents/download?token=`. The token is the credential (no cookie). Limits first: per
 * client IP before anything else (the `download` class), then, once the token's MAC and expiry are verified, per
 * the token's org (`downloadOrg`), so a leaked link cannot be fetched without bound from many addresses either.
 * Refused: 429 problem+json with Retry-After and RateLimit headers. Every other refusal (malformed, tampered,
 * expired, another org's, deleted, not clean) is the same 404 (TEN-4).
 */
export async function serveDownload(request: Request): Promise<Response> {
  const context = requestContextFrom(request.headers);
  const requestId = acceptRequestId(context.requestId);
  const withId = (response: Response) => {
    response.headers.set("x-request-id", requestId);
    return response;
  };
  // An unknown address shares one budget with every other unknown one: it never escapes the limit.
  const perIp = await limiters.download.limit(`ip:${hashedIdentifier("download", context.ip ?? "unknown")}`);
  if (!perIp.success) return withId(rateLimitedResponse(perIp, { requestId }));
  const token = new URL(request.url).searchParams.get("token") ?? "";
  try {
    const { headers, body } = await openDownload(token, {
      beforeLookup: async (grant) => {
        const perOrg = await limiters.downloadOrg.limit(`org:${grant.orgId}`);
        if (!perOrg.success) throw new DownloadRateLimited(perOrg);
      },
    });
    return withId(new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, { status: 200, headers }));
  } catch (error) {
    if (error instanceof DownloadRateLimited) return withId(rateLimitedResponse(error.decision, { requestId }));
    if (error instanceof AppError && error.code === "not_found") return withId(problem("not_found", error.message, { requestId }));
    logger.error({ scope: "documents.download", requestId, error: error instanceof Error ? error.name : "unknown" }, "a download could not be served");
    return withId(problem("internal", "The file could not be served.", { requestId }));
  }
}
