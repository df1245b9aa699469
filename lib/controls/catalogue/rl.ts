import { evidence, family } from "../types";

const MEMORY = "tests/unit/ratelimit-memory.test.ts";
const REDIS = "tests/integration/ratelimit-redis.test.ts";

export const RL = family("RL", [
  {
    id: "RL-1",
    title: "Sliding-window limits per key, org and IP",
    description:
      "TenantGuard limits requests with sliding windows per API key, per organisation and per client IP, with tighter budgets for costly work (GraphQL, uploads and URL imports, in the API and the dashboard alike), for signed downloads (per client address before the link is verified, and per the link's organisation) and for sign-in attempts (the auth class: passwords, TOTP codes and recovery codes, each per account and per address). Every class is defined in one place, and identifiers are derived values, never secrets.",
    status: "implemented",
    implementation: ["lib/ratelimit/limits.ts", "lib/ratelimit/limiter.ts", "lib/api/handler.ts", "lib/graphql/server.ts", "lib/http/client-address.ts", "lib/documents/download.ts"],
    evidence: [
      evidence(MEMORY, "the app's limit classes are per key, org and IP, with stricter expensive and sign-in classes"),
      evidence("tests/integration/documents-download-limits.test.ts", "one client address gets the download class's budget, then 429 problem+json with Retry-After"),
      evidence("tests/integration/documents-download-limits.test.ts", "an org's verified tokens share the downloadOrg budget across addresses"),
      evidence(MEMORY, "allows exactly `limit` requests in a window"),
      evidence(REDIS, "50 concurrent requests across two instances: exactly the limit succeed, counted in Redis"),
      evidence("tests/integration/api-v1.test.ts", "bad keys are rate limited per client IP"),
      evidence("tests/integration/api-rate-limits.test.ts", "a key gets exactly its limit in a minute, then 429"),
      evidence("tests/integration/api-rate-limits.test.ts", "the keys of one org share the org's limit"),
      evidence("tests/e2e/client-address.e2e.ts", "a new forged address per request does not escape the per-IP limit"),
      evidence("tests/integration/documents-pipeline.test.ts", "a key gets the import class's budget in a minute, then 429 with Retry-After"),
      evidence("tests/integration/documents-dashboard.test.ts", "the upload class limits a user's uploads (RL-1)"),
      evidence("tests/integration/documents-import-action.test.ts", "the import class limits a user's imports (RL-1)"),
      evidence("tests/integration/sign-in-abuse.test.ts", "TOTP guesses from rotating addresses lock the second step of that account"),
    ],
  },
  {
    id: "RL-2",
    title: "Redis-backed limits with an explicit in-memory fallback",
    description:
      "Limits are shared by every app instance through Redis, using `@upstash/ratelimit`'s algorithms: Upstash over REST in production on Vercel, or a local Redis via `REDIS_URL`. Each instance also counts in memory every request it lets through, and has the last word: whether Redis answers, is slow, is down or has just come back, one instance never admits more than the limit for an identifier in a window. One slow reply does not open the circuit breaker (three failures in a row do); while it is open, requests are answered from that memory and never wait on a dead backend.",
    status: "implemented",
    implementation: ["lib/ratelimit/store.ts", "lib/ratelimit/breaker.ts", "lib/ratelimit/memory.ts", "lib/ratelimit/redis-adapter.ts", "lib/ratelimit/limiter.ts"],
    evidence: [
      evidence("tests/unit/ratelimit-breaker.test.ts", "a failed probe re-opens the breaker for another full cool-down"),
      evidence(REDIS, "Redis killed: requests keep being answered from memory, never throwing and never unlimited"),
      evidence(REDIS, "a single slow reply: that request is answered from memory, the breaker stays closed"),
      evidence(REDIS, "Redis slows down mid-window: one instance lets through exactly the limit, never more"),
      evidence("tests/unit/ratelimit-breaker.test.ts", "one slow or failed reply does not open it"),
      evidence("tests/integration/ratelimit-upstash.test.ts", "requests are answered from memory, limited"),
      evidence("tests/integration/controls-checks.test.ts", "rate-limit-backend fails when production limits live in one instance's memory"),
      evidence("tests/integration/scale-out.test.ts", "RL-2: one key hammering one route on both instances: together they never accept more than the limit"),
    ],
    limitations: ["While the breaker is open each instance counts on its own, so N instances together admit up to N times a limit."],
  },
  {
    id: "RL-3",
    title: "429 with Retry-After; limit hits observable",
    description:
      "A refused request gets 429 as `application/problem+json` with `Retry-After` and `RateLimit-*` headers; allowed requests carry the remaining budget. Every limit hit is counted in the metrics, and a key's refusals appear in its verification log.",
    status: "implemented",
    issue: 18,
    implementation: ["lib/ratelimit/headers.ts", "lib/observability/metrics.ts", "lib/api/handler.ts", "lib/audit/events.ts", "lib/audit/alerts.ts"],
    evidence: [
      evidence(MEMORY, "add Retry-After in whole seconds (> 0) when refused"),
      evidence(MEMORY, "a refused request is answered 429 problem+json with the headers"),
      evidence("tests/integration/api-rate-limits.test.ts", "then 429 with Retry-After and RateLimit headers"),
      evidence("tests/unit/observability-metrics.test.ts", "counts rate-limit hits, webhook events and audit write failures"),
      evidence("tests/integration/api-key-cache.test.ts", "requests a key's limits refused (429) are in its log as rate_limited"),
      evidence("tests/integration/audit-checkpoints.test.ts", "every event has a severity; 20 failed key verifications from one address in a minute raise one high alert"),
    ],
    limitations: ["Repeated hits alert per subject and fixed one-minute window (50 hits: security.rate_limit_abuse), counted in the database; a burst straddling two windows can take up to twice the threshold to alert."],
  },
]);
