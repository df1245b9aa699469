import type { LookupAddress, LookupOptions } from "node:dns";
import { Agent, fetch, type Response } from "undici";
import { z } from "zod";
import { OutboundConfigurationError, OutboundRefusedError } from "./errors";
import { resolveRetry, resolveTimeouts, startDeadline, withRetries, type OutboundTimeouts } from "./client";
import { systemClock, toOutboundError, type Clock, type RetryPolicy } from "./retry";
import { systemResolver, type HostResolver } from "./resolver";
import { checkTarget, parseAllowHosts, type CheckedTarget } from "./url-policy";

/** SSRF-1: at most this many redirects are followed, each checked from scratch. */
export const MAX_REDIRECTS = 3;

export interface PublicUrlPolicy {
  /** MIME essences the response may have ("application/pdf", ...); anything else is refused. */
  allowedContentTypes: readonly string[];
  /** The largest body accepted; enforced while streaming. */
  maxBytes: number;
  /** Ports a URL may name; default 80 and 443. */
  allowedPorts?: readonly number[];
  /** Tests only: exact loopback "127.0.0.1:port" / "[::1]:port" pairs that may be fetched. */
  allowHosts?: readonly string[];
  /** 0..3, default 3. */
  maxRedirects?: number;
  timeouts?: Partial<OutboundTimeouts>;
  retry?: Partial<RetryPolicy>;
  /** Default: the operating system's resolver. */
  resolver?: HostResolver;
  clock?: Clock;
  signal?: AbortSignal;
}

export interface PublicFetchResult {
  /** The URL the body came from, after redirects. */
  url: string;
  status: number;
  /** The response's MIME essence (lower case, no parameters), one of the allowed types. */
  contentType: string;
  /** Content-Length as the server declared it (not trusted: the cap is enforced on the bytes). */
  declaredLength: number | null;
  redirects: number;
  /** The body. Errors with `OutboundRefusedError` `too_large` past `maxBytes`, `timeout` past the deadline. */
  body: ReadableStream<Uint8Array>;
  /** Bytes delivered so far through `body`; the total once it has ended. */
  bytesReceived(): number;
}

const policySchema = z.object({
  allowedContentTypes: z.array(z.string().regex(/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/)).min(1),
  maxBytes: z.number().int().positive(),
  allowedPorts: z.array(z.number().int().min(1).max(65_535)).min(1).optional(),
  maxRedirects: z.number().int().min(0).max(MAX_REDIRECTS).optional(),
});

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * SSRF-1: the connection goes to the address `checkTarget` approved and nowhere else. Undici resolves through
 * `connect.lookup`; this one never asks DNS again, so a second answer (DNS rebinding) is never used. The URL keeps its
 * host name, so the Host header and TLS SNI/certificate checks are those of the name the user gave.
 */
export function pinnedAgent(target: CheckedTarget, timeouts: OutboundTimeouts): Agent {
  const { address, family } = target.address;
  const lookup = (
    hostname: string,
    options: LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    if (hostname.toLowerCase() !== target.host.toLowerCase()) {
      callback(Object.assign(new Error("connection to an unchecked host"), { code: "ERR_SSRF_UNCHECKED_HOST" }), "");
      return;
    }
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
  return new Agent({
    connect: { timeout: timeouts.connectMs, lookup },
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.headersMs,
    connections: 1,
  });
}

function essence(contentType: string | null): string | undefined {
  const e = contentType?.split(";")[0]?.trim().toLowerCase();
  return e ? e : undefined;
}

function discard(response: Response, agent: Agent): void {
  void response.body?.cancel().catch(() => undefined);
  void agent.destroy().catch(() => undefined);
}

/**
 * SSRF-1: fetches a user-supplied URL with GET. Every hop (the URL and each redirect, at most 3) is checked from
 * scratch: http/https only, no credentials, allowed ports, a public host name resolved once with every address public
 * unicast; the connection goes to the checked address. The response must be 2xx with an allowed content type; its
 * body streams out with the size cap and the deadline enforced while it is read.
 */
export async function fetchPublicUrl(input: string, policy: PublicUrlPolicy): Promise<PublicFetchResult> {
  const parsed = policySchema.safeParse(policy);
  if (!parsed.success) throw new OutboundConfigurationError(`invalid URL fetch policy: ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}`);
  const allowHosts = policy.allowHosts ?? [];
  parseAllowHosts(allowHosts);
  const timeouts = resolveTimeouts(policy.timeouts);
  const retry = resolveRetry(policy.retry);
  const clock = policy.clock ?? systemClock;
  const maxRedirects = policy.maxRedirects ?? MAX_REDIRECTS;
  const targetPolicy = { allowedPorts: policy.allowedPorts ?? [80, 443], allowHosts, resolver: policy.resolver ?? systemResolver };
  const allowedTypes = new Set(policy.allowedContentTypes);
  const label = URL.canParse(input) ? new URL(input).hostname : "the URL";
  const deadline = startDeadline(timeouts.totalMs, label, clock, policy.signal);

  try {
    let current: string | URL = input;
    for (let redirects = 0; ; redirects++) {
      const target = await checkTarget(current, targetPolicy, deadline.signal);
      const host = target.url.hostname;
      const agent = pinnedAgent(target, timeouts);
      let response: Response;
      try {
        response = await withRetries(
          () =>
            fetch(target.url, {
              method: "GET",
              redirect: "manual",
              signal: deadline.signal,
              dispatcher: agent,
              headers: { accept: [...allowedTypes].join(", "), "accept-encoding": "identity", "user-agent": "TenantGuard-URL-Import/1" },
            }),
          { retry, idempotent: true, clock, deadline, label: host },
        );
      } catch (e) {
        void agent.destroy().catch(() => undefined);
        throw e;
      }

      if (REDIRECT_STATUSES.has(response.status)) {
        const location = response.headers.get("location");
        discard(response, agent);
        if (redirects >= maxRedirects) throw new OutboundRefusedError("too_many_redirects", `"${host}" redirected more than ${maxRedirects} times.`);
        if (!location || !URL.canParse(location, target.url)) throw new OutboundRefusedError("invalid_url", `"${host}" redirected to an invalid URL.`);
        current = new URL(location, target.url);
        continue;
      }
      if (response.status < 200 || response.status > 299) {
        discard(response, agent);
        throw new OutboundRefusedError("http_status", `"${host}" answered ${response.status}.`, { httpStatus: response.status });
      }
      const contentType = essence(response.headers.get("content-type"));
      if (!contentType || !allowedTypes.has(contentType)) {
        discard(response, agent);
        throw new OutboundRefusedError("content_type", `"${host}" sent ${contentType ?? "no content type"}, which cannot be imported.`);
      }
      const lengthHeader = response.headers.get("content-length");
      const declaredLength = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
      if (declaredLength !== null && declaredLength > policy.maxBytes && !response.headers.has("content-encoding")) {
        discard(response, agent);
        throw tooLarge(policy.maxBytes);
      }
      return streamOut(response, agent, deadline, policy.maxBytes, host, { url: target.url.href, status: response.status, contentType, declaredLength, redirects });
    }
  } catch (e) {
    deadline.clear();
    throw toOutboundError(e, deadline.signal, label);
  }
}

function tooLarge(maxBytes: number): OutboundRefusedError {
  return new OutboundRefusedError("too_large", `The file is larger than the ${maxBytes}-byte limit.`);
}

function streamOut(
  response: Response,
  agent: Agent,
  deadline: ReturnType<typeof startDeadline>,
  maxBytes: number,
  host: string,
  meta: Omit<PublicFetchResult, "body" | "bytesReceived">,
): PublicFetchResult {
  let bytes = 0;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    deadline.clear();
    void agent.close().catch(() => undefined);
  };
  const source = response.body;
  if (!source) {
    finish();
    return { ...meta, body: new ReadableStream({ start: (c) => c.close() }), bytesReceived: () => 0 };
  }
  const reader = source.getReader();
  // A body nobody reads to the end still releases its connection when the deadline passes.
  deadline.signal.addEventListener(
    "abort",
    () => {
      if (finished) return;
      finish();
      void agent.destroy().catch(() => undefined);
    },
    { once: true },
  );
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          finish();
          controller.close();
          return;
        }
        // SSRF-1: the cap holds on the bytes received, whatever Content-Length said.
        if (bytes + value.byteLength > maxBytes) {
          const error = tooLarge(maxBytes);
          await reader.cancel(error).catch(() => undefined);
          finish();
          void agent.destroy().catch(() => undefined);
          controller.error(error);
          return;
        }
        bytes += value.byteLength;
        controller.enqueue(value);
      } catch (e) {
        const error = toOutboundError(e, deadline.signal, host);
        finish();
        void agent.destroy().catch(() => undefined);
        controller.error(error);
      }
    },
    async cancel(reason) {
      finish();
      await reader.cancel(reason).catch(() => undefined);
      void agent.destroy().catch(() => undefined);
    },
  });
  return { ...meta, body, bytesReceived: () => bytes };
}
