import "server-only";
import { z } from "zod";
import { DatabaseUnavailableError, isPermissionDenied, type Queryable } from "@/lib/db";
import { recordKeyUse, resolveApiKey, resolveCachedApiKey, withApiKeyTenant, InvalidApiKeyError, type VerifiedApiKey } from "@/lib/api-keys";
import { appendAudit, type AuditEntry } from "@/lib/audit/writer";
import { recordCrossTenantProbe } from "@/lib/audit/security-events";
import { createAppRateLimiters, hashedIdentifier, rateLimitHeaders, type RateLimitDecision } from "@/lib/ratelimit";
import { AppError, ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { problemBody } from "@/lib/http/problem";
import { isJsonMediaType, readBody, UnsupportedMediaTypeError } from "@/lib/http/body";
import { requestContextFrom, type RequestContext } from "@/lib/http/request-context";
import { acceptRequestId } from "@/lib/http/request-id";
import { IDEMPOTENCY_HEADER, requestFingerprint, withIdempotency } from "./idempotency";
import { apiLog } from "./log";
import { noteSecurityEvent } from "@/lib/audit/alerts";
import { SECURITY_EVENT } from "@/lib/audit/events";
import { recordRateLimitHit, recordRequest, routeClassOf } from "@/lib/observability/metrics";
import { trace } from "@opentelemetry/api";

/**
 * The partner API's one way in (STYLE: "one way in"). Every route is a line of wiring around this wrapper:
 *   authenticate (KEY-2/5: bearer key -> verified key claims)
 *   rate limit   (RL-1: per key, per org, stricter class for expensive routes; 429 with headers, RL-3)
 *   authorise    (KEY-3: read / write permission; RLS enforces org, project scope and write again, TEN-6)
 *   validate     (VAL-1: params, query and JSON body through Zod; 422 problem+json with per-field errors)
 *   work         (one tenant transaction, TEN-2; Idempotency-Key replay for POST, VAL-4)
 *   audit        (same transaction)
 *   respond      (VAL-3: application/problem+json, never internals)
 */

export interface ApiResult {
  status: number;
  body: unknown;
}

export interface ApiContext<P, Q, B, R = undefined> {
  tx: Queryable;
  key: VerifiedApiKey;
  params: P;
  query: Q;
  body: B;
  request: RequestContext & { requestId: string };
  audit(entry: Pick<AuditEntry, "action" | "targetType" | "targetId" | "changes">): Promise<void>;
  /** What `stream.prepare` returned (streamed-body routes only). */
  prepared: R;
  /** Runs once the transaction committed (e.g. removing a deleted document's stored object); failures are logged. */
  afterCommit(fn: () => Promise<void>): void;
}

/**
 * A route whose body is not JSON but a file, read as a stream (never buffered) BEFORE the transaction, so no
 * transaction stays open while bytes arrive. Such a route declares no `body`: the JSON rule (415 for a body that is
 * not application/json) does not apply to it, by this explicit option and for it alone. `settle` runs after the
 * transaction, committed or not (and when an Idempotency-Key replay skipped the handler), to undo what `prepare` did
 * unless the committed work kept it.
 */
export interface StreamedBody<P, B, R> {
  prepare(input: { request: Request; key: VerifiedApiKey; params: P; body: B }): Promise<R>;
  settle(prepared: R, committed: boolean): Promise<void>;
}

export interface ApiOptions<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R = undefined> {
  permission: "read" | "write";
  /** Streamed uploads and URL imports (see StreamedBody). */
  stream?: StreamedBody<z.output<P>, z.output<B>, R>;
  /** A rate-limit class on top of the per-key and per-org limits, per key and per org (RL-1). */
  limitClass?: "upload" | "import";
  params?: P;
  query?: Q;
  body?: B;
  /** Uploads, imports, GraphQL: the `expensive` class on top of the per-key and per-org limits. */
  expensive?: boolean;
  /** Largest accepted JSON body (VAL-2). */
  maxBodyBytes?: number;
  /** What a malformed or unknown id in the path names (TEN-4: it reads as "not found"). */
  resource?: NotFoundError["resource"];
  /**
   * Read routes whose handler runs exactly one statement: the transaction is READ ONLY and travels in one round
   * trip (BEGIN, claims, key check, the statement, COMMIT). A second statement fails (SingleStatementError).
   */
  singleStatement?: boolean;
}

const limiters = createAppRateLimiters({
  // RL-3: every refusal is logged and counted (alertable via rate_limit_hits_total).
  onLimitHit: (e) => {
    recordRateLimitHit(e.limiter);
    void noteSecurityEvent(SECURITY_EVENT.rateLimited, { subject: `${e.limiter}:${e.identifier}`, details: { limiter: e.limiter } });
    apiLog("warn", "rate limit hit", { limiter: e.limiter, backend: e.backend });
  },
  onBackendError: (e) => apiLog("warn", "rate limit backend unavailable, using in-memory fallback", { limiter: e.limiter, backend: e.backend }),
});

const json = (status: number, body: unknown, headers: Record<string, string> = {}, more?: Record<string, string>) => {
  const all: Record<string, string> = status === 204 ? {} : { "content-type": status >= 400 ? "application/problem+json" : "application/json" };
  Object.assign(all, headers, more);
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: all });
};

/** The request's URL: Next.js hands route handlers a NextRequest whose URL is already parsed. */
const urlOf = (request: Request): URL => (request as Request & { nextUrl?: URL }).nextUrl ?? new URL(request.url);

function fieldErrors(error: z.ZodError, prefix: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) (out[[prefix, ...issue.path].join(".")] ??= []).push(issue.message);
  return out;
}

function parse<S extends z.ZodType>(schema: S | undefined, value: unknown, prefix: string): z.output<S> {
  if (!schema) return undefined as z.output<S>;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error, prefix));
  return parsed.data;
}

/**
 * Steps 1 and 2 of every partner-API request, also used by GraphQL: the bearer key (KEY-2/5) and the rate
 * limits (RL-1). Returns the resolved key and the RateLimit headers, or the finished 401/429/503 response.
 * The key is confirmed current by the database in the request's own transaction: callers run their work with
 * withApiKeyTenant and answer its InvalidApiKeyError with `refuseInvalidKey`.
 */
export function authenticateApiRequest(
  request: Request,
  options: { expensive?: boolean; limitClass?: "upload" | "import" } = {},
): Promise<{ key: VerifiedApiKey; limitHeaders: Record<string, string>; meta: RequestContext & { requestId: string } } | Response> {
  const context = requestContextFrom(request.headers);
  const requestId = acceptRequestId(context.requestId);
  const meta = { ...context, requestId };
  const refused = (error: unknown): Response | Promise<Response> =>
    error instanceof InvalidApiKeyError ? refuseInvalidKey(meta) : unexpected(error, requestId);

  // Per key, per org and, for expensive routes, per key again in the stricter class; concurrently.
  const limit = (key: VerifiedApiKey) =>
    Promise.all([
      limiters.apiKey.limit(key.keyId),
      limiters.org.limit(key.orgId),
      ...(options.expensive ? [limiters.expensive.limit(key.keyId)] : []),
      ...(options.limitClass ? [limiters[options.limitClass].limit(`key:${key.keyId}`), limiters[options.limitClass].limit(`org:${key.orgId}`)] : []),
    ]).then((decisions: RateLimitDecision[]) => {
      const blocking = decisions.find((d) => !d.success);
      const limitHeaders = rateLimitHeaders(blocking ?? decisions.reduce((a, b) => (b.remaining < a.remaining ? b : a)));
      if (blocking) {
        // KEY-2 / RL-3: the key's own log shows its refusals for rate, beside its other failures (a run of them is
        // one entry with a count).
        recordKeyUse({ keyId: key.keyId, outcome: "failure", reason: "rate_limited", ip: key.ip });
        return problem(429, "rate_limited", RATE_LIMITED, requestId, limitHeaders);
      }
      return { key, limitHeaders, meta };
    });

  const authorization = request.headers.get("authorization");
  let cached: VerifiedApiKey | null;
  try {
    cached = resolveCachedApiKey(authorization, context.ip);
  } catch (error) {
    return Promise.resolve(refused(error));
  }
  // Not an async function, and a cached key (the usual case) is resolved without an await: fewer promises per
  // request (see lib/ratelimit/timeout). Otherwise the database is asked first (resolveApiKey).
  return cached ? limit(cached) : resolveApiKey(authorization, context.ip).then(limit, refused);
}

const problem = (status: number, code: "unauthenticated" | "rate_limited", detail: string, requestId: string, headers: Record<string, string>) =>
  json(status, problemBody(code, detail, { requestId }), { "x-request-id": requestId, ...headers });

/**
 * KEY-5: the one answer to every bad key, wherever it is found out (before the transaction, or by the database
 * in it): 401 with the same body, and failures are rate limited per client IP.
 */
export async function refuseInvalidKey(meta: RequestContext & { requestId: string }): Promise<Response> {
  const ipLimit = await limiters.anonymousIp.limit(hashedIdentifier("api-auth", meta.ip ?? "unknown"));
  if (!ipLimit.success) return problem(429, "rate_limited", RATE_LIMITED, meta.requestId, rateLimitHeaders(ipLimit));
  return problem(401, "unauthenticated", new InvalidApiKeyError().message, meta.requestId, { "www-authenticate": 'Bearer realm="api"' });
}

const RATE_LIMITED = "Too many requests. Retry after the number of seconds in Retry-After.";

export function withApiKey<P extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined, R = undefined>(
  handler: (ctx: ApiContext<z.output<P>, z.output<Q>, z.output<B>, R>) => Promise<ApiResult>,
  options: ApiOptions<P, Q, B, R>,
) {
  if (options.singleStatement && options.permission !== "read") throw new Error("singleStatement is for read routes only.");
  if (options.stream && options.permission !== "write") throw new Error("A streamed body is for write routes only.");
  return measured(async (request: Request, route: { params: Promise<Record<string, string | string[]>> }): Promise<Response> => {
    const auth = await authenticateApiRequest(request, { expensive: options.expensive, limitClass: options.limitClass });
    if (auth instanceof Response) return auth;
    const { key, limitHeaders, meta } = auth;
    const requestId = meta.requestId;
    const base = { "x-request-id": requestId };
    const fail = (error: AppError, headers: Record<string, string> = {}) =>
      json(error instanceof AppError ? statusOf(error) : 500, problemBody(error.code, error.message, { requestId, errors: error instanceof ValidationError ? error.errors : undefined }), { ...base, ...headers });

    let prepared: { value: R } | undefined;
    let committed = false;
    const afterCommit: (() => Promise<void>)[] = [];
    try {
      // Authorise: a read-only key never writes (RLS refuses it too).
      if (options.permission === "write" && !key.permissions.includes("write")) throw new ForbiddenError("This API key is read-only.");

      // Validate. A malformed id is indistinguishable from a missing one (TEN-4).
      let params: z.output<P> = undefined as z.output<P>;
      if (options.params) {
        try {
          params = parse(options.params, await route.params, "params");
        } catch {
          throw new NotFoundError(options.resource ?? "project", "malformed");
        }
      }
      const url = urlOf(request);
      const query = parse(options.query, Object.fromEntries(url.searchParams), "query");
      let rawBody: unknown;
      if (options.body) {
        // VAL-1: a body that does not say it is JSON is refused (415), before it is read when the header says so.
        const contentType = request.headers.get("content-type");
        if (contentType && !isJsonMediaType(contentType)) throw new UnsupportedMediaTypeError();
        const text = await readBody(request, options.maxBodyBytes ?? 64 * 1024);
        if (text !== "" && !contentType) throw new UnsupportedMediaTypeError();
        try {
          rawBody = text === "" ? undefined : JSON.parse(text);
        } catch {
          throw new ValidationError({ body: ["The body is not valid JSON."] });
        }
        // JSON can spell unpaired surrogates (\ud800) that no database text column accepts: refuse them here.
        if (!wellFormed(rawBody)) throw new ValidationError({ body: ["The body contains invalid Unicode."] });
      }
      const body = parse(options.body, rawBody, "body");
      if (options.stream) prepared = { value: await options.stream.prepare({ request, key, params, body }) };

      // Work, in one tenant transaction; POST honours Idempotency-Key (VAL-4).
      const idempotencyKey = request.method === "POST" ? request.headers.get(IDEMPOTENCY_HEADER) : null;
      const work = (tx: Queryable) =>
        handler({
          tx,
          key,
          params,
          query,
          body,
          request: meta,
          audit: (entry) => appendAudit(tx, { ...entry, orgId: key.orgId, actorType: "api_key", actorId: key.keyId, ...meta }).then(() => undefined),
          prepared: prepared?.value as R,
          afterCommit: (fn) => void afterCommit.push(fn),
        });
      // Read routes parse, then query: their first statement may travel with the key's confirmation (pipelined).
      const result: ApiResult & { replayed?: boolean } = await withApiKeyTenant(
        key,
        (tx) =>
          idempotencyKey === null
            ? work(tx)
            : withIdempotency(
                tx,
                { orgId: key.orgId, principal: `key_${key.keyId}`, key: idempotencyKey, fingerprint: requestFingerprint(request.method, url.pathname, rawBody) },
                () => work(tx),
              ),
        { pipelined: options.permission === "read", singleStatement: options.singleStatement },
      );
      committed = !result.replayed;
      for (const fn of afterCommit) await fn().catch((error: unknown) => apiLog("error", "after-commit step failed", { requestId, error: error instanceof Error ? error.name : "unknown" }));
      return json(result.status, result.body, limitHeaders, result.replayed ? { ...base, "idempotency-replayed": "true" } : base);
    } catch (error) {
      if (error instanceof InvalidApiKeyError) return refuseInvalidKey(meta);
      if (error instanceof NotFoundError) {
        await recordCrossTenantProbe({
          claims: key.claims,
          orgId: key.orgId,
          actorType: "api_key",
          actorId: key.keyId,
          error,
          request: meta,
        });
      }
      if (error instanceof AppError) return fail(error, limitHeaders);
      // RLS refused a write the app did not foresee (e.g. outside a key's project): deny, never 500.
      if (isPermissionDenied(error)) return fail(new ForbiddenError("This API key may not do that."), limitHeaders);
      return unexpected(error, requestId);
    } finally {
      if (prepared && options.stream) {
        const settled = prepared.value;
        await options.stream.settle(settled, committed).catch((error: unknown) => apiLog("error", "streamed body could not be settled", { requestId, error: error instanceof Error ? error.name : "unknown" }));
      }
    }
  });
}

/** OBS-3 / OBS-4: every API response is counted and timed by route class; the request id goes on the span. */
export function measured<A extends unknown[]>(handler: (request: Request, ...rest: A) => Promise<Response>) {
  return (request: Request, ...rest: A): Promise<Response> => {
    const started = performance.now();
    const requestId = request.headers.get("x-request-id");
    if (requestId) trace.getActiveSpan()?.setAttribute("http.request_id", requestId);
    const record = (status: number) => recordRequest(routeClassOf(urlOf(request).pathname), request.method, status, (performance.now() - started) / 1000);
    let pending: Promise<Response>;
    try {
      pending = handler(request, ...rest);
    } catch (error) {
      pending = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    // Not an async function: one promise per request instead of two (see lib/ratelimit/limiter).
    return pending.then(
      (response) => {
        record(response.status);
        return response;
      },
      (error: unknown) => {
        record(500);
        throw error;
      },
    );
  };
}

/** Iterative (a deeply nested body must not overflow the stack): every string and key is well-formed Unicode. */
function wellFormed(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === "string") {
      if (!value.isWellFormed()) return false;
    } else if (Array.isArray(value)) {
      pending.push(...value);
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        if (!k.isWellFormed()) return false;
        pending.push(v);
      }
    }
  }
  return true;
}

function statusOf(error: AppError): number {
  return problemBody(error.code, "").status;
}

function unexpected(error: unknown, requestId: string): Response {
  if (error instanceof DatabaseUnavailableError) {
    return json(503, problemBody("unavailable", "The service is temporarily unavailable. Nothing was changed; please retry.", { requestId }), {
      "x-request-id": requestId,
      "retry-after": "5",
    });
  }
  apiLog("error", "unhandled API error", { requestId, error: error instanceof Error ? error.name : "unknown" });
  return json(500, problemBody("internal", "Something went wrong. Nothing was changed.", { requestId }), { "x-request-id": requestId });
}
