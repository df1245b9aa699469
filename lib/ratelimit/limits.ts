import { createRateLimiter, type RateLimiter, type RateLimitHooks } from "./limiter";
import type { Duration } from "./duration";
import { hashedIdentifier } from "./identifier";

/**
 * RL-1: every limit class the app applies, in one place. Identifiers are derived by the caller and never
 * secret (KEY-5): a key's id, an org id, a client IP, or `signInIdentifier(...)`.
 */
export const RATE_LIMIT_CLASSES = {
  /** Partner API, per API key id. */
  apiKey: { limit: 600, window: "60 s" },
  /** Partner API and dashboard, per organisation (all of its keys and members together). */
  org: { limit: 3_000, window: "60 s" },
  /** Unauthenticated requests, per client IP. */
  anonymousIp: { limit: 60, window: "60 s" },
  /** Uploads, imports and GraphQL, per API key id or user, on top of the classes above. */
  expensive: { limit: 30, window: "60 s" },
  /** Document uploads (FILE-1), per API key or user (`key:<id>`) and per org (`org:<id>`), on top of the classes above. */
  upload: { limit: 60, window: "60 s" },
  /** URL imports (SSRF-1), per API key or user and per org: each one makes the server fetch a remote URL. */
  import: { limit: 20, window: "60 s" },
  /**
   * Signed downloads (FILE-3, `GET /api/documents/download`), per client IP (`ip:<hash>`), checked before the token
   * is even verified: a token guesser or a leaked link's scraper meets it first.
   */
  download: { limit: 120, window: "60 s" },
  /** Signed downloads per organisation of the verified token (`org:<id>`): all of an org's links together. */
  downloadOrg: { limit: 1_200, window: "60 s" },
  /** Sign-in attempts, per IP and email (IDN-5 temporary lockout): `signInIdentifier(ip, email)`. */
  signIn: { limit: 10, window: "5 m" },
  /**
   * Sign-in attempts per account from any address (IDN-5): `signInAccountIdentifier(email)`. A larger budget than
   * per IP, so only address rotation meets it; the lock ends once the window slides past the attempts.
   */
  signInAccount: { limit: 20, window: "15 m" },
  /** OPS-3: evidence-pack exports per organisation (`org:<id>`): each one runs every live check. */
  evidenceExport: { limit: 5, window: "10 m" },
} as const satisfies Record<string, { limit: number; window: Duration }>;

export type RateLimitClass = keyof typeof RATE_LIMIT_CLASSES;

/**
 * The app's limiters, one per class. Create them once per process (e.g. at module scope in the request
 * wrapper) and pass the observability hooks there: `createAppRateLimiters({ onLimitHit, onBackendError })`.
 * Nothing connects to Redis until the first request is limited.
 */
export function createAppRateLimiters(hooks: RateLimitHooks = {}): Record<RateLimitClass, RateLimiter> {
  const entries = Object.entries(RATE_LIMIT_CLASSES).map(([name, policy]) => [name, createRateLimiter({ name, ...policy, ...hooks })]);
  return Object.fromEntries(entries) as Record<RateLimitClass, RateLimiter>;
}

/** Sign-in identifier: the IP and the normalised email, hashed so neither lands in Redis keys or logs. */
export function signInIdentifier(ip: string, email: string): string {
  return hashedIdentifier("sign-in", ip, email.trim().toLowerCase());
}

/** Per-account sign-in identifier: the normalised email alone, hashed. */
export function signInAccountIdentifier(email: string): string {
  return hashedIdentifier("sign-in-account", email.trim().toLowerCase());
}
