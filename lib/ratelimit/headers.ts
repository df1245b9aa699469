import { problem } from "@/lib/http/problem";
import type { RateLimitResult } from "./memory";

/**
 * RL-3: the IETF RateLimit header fields, with reset as seconds from now, plus Retry-After (seconds) when the
 * request was refused. Computed from the decision alone, so every backend produces them the same way.
 */
export function rateLimitHeaders(result: RateLimitResult, now: number = Date.now()): Record<string, string> {
  const resetSeconds = Math.max(0, Math.ceil((result.reset - now) / 1000));
  const headers: Record<string, string> = {
    "RateLimit-Limit": String(result.limit),
    "RateLimit-Remaining": String(Math.max(0, result.remaining)),
    "RateLimit-Reset": String(resetSeconds),
  };
  // A client told to retry after 0 s would retry at once; one second is the least that means "wait".
  if (!result.success) headers["Retry-After"] = String(Math.max(1, resetSeconds));
  return headers;
}

/** RL-3 / VAL-3: the 429 answer for a refused request, as application/problem+json with the headers above. */
export function rateLimitedResponse(result: RateLimitResult, init?: { requestId?: string | null }): Response {
  const response = problem("rate_limited", "Too many requests. Retry after the number of seconds in Retry-After.", init);
  for (const [name, value] of Object.entries(rateLimitHeaders(result))) response.headers.set(name, value);
  return response;
}
