import { OutboundRefusedError } from "./errors";

/** Time as the retry loop sees it; tests may pass their own. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
    }),
};

export interface RetryPolicy {
  /** Retries after the first attempt (0..5). */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the response is returned (or the error thrown) as it is. */
  retryAfterCapMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 2, baseDelayMs: 200, maxDelayMs: 5_000, retryAfterCapMs: 10_000 };

export const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/** Exponential backoff with equal jitter: half the step fixed, half random. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(step / 2 + (random() * step) / 2);
}

/** Retry-After in milliseconds (delta-seconds or an HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504 || status === 500;
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
]);

const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "ETIMEDOUT"]);

function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === "object"; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string") return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether a thrown fetch error is a connection-level failure worth another attempt (for idempotent requests). */
export function isRetryableError(e: unknown): boolean {
  if (e instanceof OutboundRefusedError) return e.reason === "connection" || e.reason === "timeout";
  const code = errorCode(e);
  return code !== undefined && CONNECTION_CODES.has(code);
}

/**
 * The client's error for a failed attempt: the deadline (or the caller's signal) becomes `timeout`, a connection
 * failure `connection`; our own refusals pass through.
 */
export function toOutboundError(e: unknown, deadline: AbortSignal, label: string): unknown {
  if (e instanceof OutboundRefusedError) return e;
  if (deadline.aborted) {
    // The deadline aborts with its own `timeout` refusal; a caller's abort keeps the caller's reason.
    const reason: unknown = deadline.reason;
    return reason instanceof Error ? reason : new OutboundRefusedError("timeout", `The request to "${label}" took too long.`, { cause: e });
  }
  const code = errorCode(e);
  if (code !== undefined && TIMEOUT_CODES.has(code)) return new OutboundRefusedError("timeout", `The request to "${label}" took too long.`, { cause: e });
  if (code !== undefined && CONNECTION_CODES.has(code)) return new OutboundRefusedError("connection", `Could not connect to "${label}".`, { cause: e });
  if (e instanceof TypeError && (e.message === "fetch failed" || e.message === "terminated")) return new OutboundRefusedError("connection", `Could not connect to "${label}".`, { cause: e });
  return e;
}
