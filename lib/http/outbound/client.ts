import { Agent, fetch, type RequestInit, type Response } from "undici";
import { OutboundConfigurationError, OutboundRefusedError } from "./errors";
import {
  DEFAULT_RETRY,
  IDEMPOTENT_METHODS,
  backoffDelay,
  isRetryableError,
  isRetryableStatus,
  parseRetryAfter,
  systemClock,
  toOutboundError,
  type Clock,
  type RetryPolicy,
} from "./retry";

/**
 * SSRF-2: the one outbound HTTP client. Connect, headers and whole-transfer timeouts on every call; bounded retries
 * with backoff, only for idempotent requests, on connection errors, 5xx and 429 (Retry-After respected up to a cap),
 * never past the total deadline.
 */

export interface OutboundTimeouts {
  /** TCP (and TLS) connection. */
  connectMs: number;
  /** From sending the request to the response headers; also the longest pause between body chunks. */
  headersMs: number;
  /** The whole exchange, retries and body included. */
  totalMs: number;
}

export const DEFAULT_TIMEOUTS: OutboundTimeouts = { connectMs: 5_000, headersMs: 10_000, totalMs: 30_000 };

export interface OutboundFetchOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Only bodies that can be sent again, so a retried request is the same request. */
  body?: string | Uint8Array | URLSearchParams;
  timeouts?: Partial<OutboundTimeouts>;
  retry?: Partial<RetryPolicy>;
  /** Allow retries of a non-idempotent method (e.g. a POST carrying an idempotency key). */
  idempotent?: boolean;
  /** Default "manual": a 3xx is returned to the caller, never followed silently. */
  redirect?: "manual" | "error" | "follow";
  signal?: AbortSignal;
  clock?: Clock;
}

export interface Deadline {
  signal: AbortSignal;
  at: number;
  /** Stops the timer (after the body is read or abandoned). */
  clear(): void;
}

/** A signal that aborts with a `timeout` refusal after `totalMs`, or with the caller's reason when `parent` aborts. */
export function startDeadline(totalMs: number, label: string, clock: Clock, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new OutboundRefusedError("timeout", `The request to "${label}" took too long.`)), totalMs);
  timer.unref?.();
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener("abort", onParentAbort, { once: true });
  return {
    signal: controller.signal,
    at: clock.now() + totalMs,
    clear() {
      clearTimeout(timer);
      parent?.removeEventListener("abort", onParentAbort);
    },
  };
}

export interface AttemptOptions {
  retry: RetryPolicy;
  idempotent: boolean;
  clock: Clock;
  deadline: Deadline;
  label: string;
}

/** Runs `attempt` until it succeeds, fails for good, or retrying would pass the deadline. */
export async function withRetries(attempt: () => Promise<Response>, o: AttemptOptions): Promise<Response> {
  for (let n = 0; ; n++) {
    let response: Response;
    try {
      response = await attempt();
    } catch (e) {
      const error = toOutboundError(e, o.deadline.signal, o.label);
      if (!o.idempotent || n >= o.retry.retries || o.deadline.signal.aborted || !isRetryableError(error)) throw error;
      await pause(backoffDelay(o.retry, n), o, () => error);
      continue;
    }
    if (!o.idempotent || n >= o.retry.retries || !isRetryableStatus(response.status)) return response;
    const retryAfter = parseRetryAfter(response.headers.get("retry-after"), o.clock.now());
    if (retryAfter !== undefined && retryAfter > o.retry.retryAfterCapMs) return response;
    const delay = retryAfter ?? backoffDelay(o.retry, n);
    if (o.clock.now() + delay >= o.deadline.at) return response;
    await response.body?.cancel().catch(() => undefined);
    await pause(delay, o, () => new OutboundRefusedError("http_status", `"${o.label}" answered ${response.status}.`, { httpStatus: response.status }));
  }
}

async function pause(delay: number, o: AttemptOptions, giveUp: () => unknown): Promise<void> {
  if (o.clock.now() + delay >= o.deadline.at) throw giveUp();
  try {
    await o.clock.sleep(delay, o.deadline.signal);
  } catch (e) {
    throw toOutboundError(e, o.deadline.signal, o.label);
  }
}

const agents = new Map<string, Agent>();

function sharedAgent(t: OutboundTimeouts): Agent {
  const key = `${t.connectMs}|${t.headersMs}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({ connect: { timeout: t.connectMs }, headersTimeout: t.headersMs, bodyTimeout: t.headersMs });
    agents.set(key, agent);
  }
  return agent;
}

export function resolveTimeouts(t: Partial<OutboundTimeouts> | undefined): OutboundTimeouts {
  const out = { ...DEFAULT_TIMEOUTS, ...t };
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isInteger(v) || v < 1 || v > 600_000) throw new OutboundConfigurationError(`timeouts.${k} must be 1..600000 ms`);
  }
  return out;
}

export function resolveRetry(r: Partial<RetryPolicy> | undefined): RetryPolicy {
  const out = { ...DEFAULT_RETRY, ...r };
  if (!Number.isInteger(out.retries) || out.retries < 0 || out.retries > 5) throw new OutboundConfigurationError("retry.retries must be 0..5");
  return out;
}

/**
 * SSRF-2: every outbound call to a provider or a configured service. Returns the response (the caller checks its
 * status; 5xx and 429 come back once retries are spent); throws `OutboundRefusedError` with `timeout` or
 * `connection` when no response came. Not for user-supplied URLs: those go through `fetchPublicUrl`.
 */
export async function outboundFetch(url: string | URL, options: OutboundFetchOptions = {}): Promise<Response> {
  const timeouts = resolveTimeouts(options.timeouts);
  const retry = resolveRetry(options.retry);
  const clock = options.clock ?? systemClock;
  const target = new URL(url);
  const method = (options.method ?? "GET").toUpperCase();
  const deadline = startDeadline(timeouts.totalMs, target.host, clock, options.signal);
  const init: RequestInit = {
    method,
    headers: options.headers,
    body: options.body,
    redirect: options.redirect ?? "manual",
    signal: deadline.signal,
    dispatcher: sharedAgent(timeouts),
  };
  return withRetries(() => fetch(target, init), {
    retry,
    idempotent: options.idempotent ?? IDEMPOTENT_METHODS.has(method),
    clock,
    deadline,
    label: target.host,
  });
}
