/**
 * RL-1 / RL-2 / RL-3 rate limiting: the public entry. Route wrappers use `createAppRateLimiters` (limits.ts)
 * and `rateLimitHeaders` / `rateLimitedResponse`; `createRateLimiter` makes any other limit class.
 */
export { createRateLimiter } from "./limiter";
export type { BackendErrorEvent, LimitHitEvent, RateLimitDecision, RateLimiter, RateLimiterOptions, RateLimitHooks } from "./limiter";
export { createAppRateLimiters, RATE_LIMIT_CLASSES, signInAccountIdentifier, signInIdentifier, type RateLimitClass } from "./limits";
export type { Duration } from "./duration";
export type { RateLimitResult } from "./memory";
export type { BreakerState } from "./breaker";
export { assertSafeIdentifier, hashedIdentifier, UnsafeRateLimitIdentifierError } from "./identifier";
export { rateLimitHeaders, rateLimitedResponse } from "./headers";
export {
  closeDefaultRateLimitStore,
  createRedisStore,
  createUpstashStore,
  rateLimitBackendFor,
  rateLimitStatus,
  type RateLimitBackend,
  type RateLimitStore,
  type RateLimitStoreOptions,
} from "./store";
