/**
 * One app instance in a process of its own, for tests/integration/scale-out.test.ts (PostgreSQL + Redis only).
 *
 * `npm test` runs before the production build exists, so this serves the app's request pipeline with node:http
 * instead of `next start`: every request goes through the real proxy (lib/security/embedded-proxy.ts, what proxy.ts
 * exports for the embedded provider: request line, CSRF, the session refresh, headers), and what the proxy passes on
 * reaches the real route handlers inside a request scope of Next.js's own, so `cookies()` and `headers()` read this
 * request. (The scope's stores come from `next/dist`: a Next.js upgrade that changes them fails the session
 * scenarios, never passes them silently.) Everything an instance keeps in memory (the API-key cache, the rate
 * limiters' in-memory counts, the IdP's key) is this process's alone; it shares only PostgreSQL and Redis with the
 * other instances.
 *
 * SCALE_OUT_PORT: where it listens; it prints `READY <port>` once listening. SIGTERM, or the end of its stdin (the
 * test process is gone), closes it.
 *
 * Besides the app's routes it answers:
 *  - `POST /__dashboard/api-keys/revoke` (form field `id`) and `POST /__dashboard/sign-out`: the dashboard's server
 *    actions revokeApiKeyAction and signOutAction as they run in production (the caller's session from its cookie,
 *    the same lib/api-keys and lib/auth calls), without Next.js's action transport, page revalidation and redirect;
 *  - `GET /__instance/api-key-cached` (the `Authorization` header): whether this process holds the presented key in
 *    its cache, so a test can show the next request is answered from it.
 */
// First, as in `next start`: Next.js's request scope is an AsyncLocalStorage it expects on globalThis.
import "next/dist/server/node-environment-baseline";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { NextRequest, type NextResponse } from "next/server";
import { workUnitAsyncStorage } from "next/dist/server/app-render/work-unit-async-storage.external";
import { workAsyncStorage } from "next/dist/server/app-render/work-async-storage.external";
import { createRequestStoreForAPI } from "next/dist/server/async-storage/request-store";
import { createWorkStore } from "next/dist/server/async-storage/work-store";
import { embeddedProxy as proxy } from "@/lib/security/embedded-proxy";
import * as projectsRoute from "@/app/api/v1/projects/route";
import * as projectRoute from "@/app/api/v1/projects/[id]/route";
import * as importsRoute from "@/app/api/v1/projects/[id]/documents/imports/route";
import * as sessionRoute from "@/app/api/session/route";
import { getSession } from "@/lib/auth/current";
import { revokeSession } from "@/lib/auth/embedded/sign-in";
import { isApiKeyCached, revokeApiKey } from "@/lib/api-keys";
import { currentRequestContext } from "@/lib/http/request-context";
import { closeDb } from "@/lib/db";
import { env } from "@/lib/env";
import { closeDefaultRateLimitStore, createRedisStore } from "@/lib/ratelimit";
import { defaultRateLimitStore } from "@/lib/ratelimit/store";

// RL-2 in production answers a Redis call slower than 150 ms from this instance's memory (each instance then enforces
// the limit alone). The machine running the suite is loaded, and what is proved here is the shared count while Redis
// answers: the environment's store, with a budget no loaded loopback Redis misses.
const store = createRedisStore(env.REDIS_URL!, { timeoutMs: 10_000 });
(globalThis as typeof globalThis & { __tenantguardRateLimitStore?: unknown }).__tenantguardRateLimitStore = store;
if (defaultRateLimitStore() !== store) throw new Error("the instance's rate-limit store is not the one configured here (lib/ratelimit/store.ts changed)");

type Handler = (request: Request, route: { params: Promise<Record<string, string>> }) => Promise<Response>;

const routes: { pattern: RegExp; methods: Partial<Record<string, Handler>> }[] = [
  { pattern: /^\/api\/v1\/projects$/, methods: { GET: projectsRoute.GET, POST: projectsRoute.POST } },
  { pattern: /^\/api\/v1\/projects\/(?<id>[^/]+)$/, methods: { GET: projectRoute.GET, PATCH: projectRoute.PATCH, DELETE: projectRoute.DELETE } },
  { pattern: /^\/api\/v1\/projects\/(?<id>[^/]+)\/documents\/imports$/, methods: { POST: importsRoute.POST } },
  { pattern: /^\/api\/session$/, methods: { GET: sessionRoute.GET as Handler } },
  { pattern: /^\/__dashboard\/api-keys\/revoke$/, methods: { POST: revokeKeyAction } },
  { pattern: /^\/__dashboard\/sign-out$/, methods: { POST: signOutAction } },
  { pattern: /^\/__instance\/api-key-cached$/, methods: { GET: keyCached } },
];

async function revokeKeyAction(request: Request): Promise<Response> {
  const form = await request.formData();
  const result = await revokeApiKey(await getSession(), { id: form.get("id") }, await currentRequestContext());
  return Response.json(result.ok ? { ok: true } : { ok: false, message: result.message }, { status: result.ok ? 200 : 400 });
}

async function signOutAction(): Promise<Response> {
  const session = await getSession();
  const revoked = session ? await revokeSession(session, session.sessionId).catch(() => false) : false;
  return Response.json({ revoked }, { status: session ? 200 : 401 });
}

async function keyCached(request: Request): Promise<Response> {
  const bearer = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
  return Response.json({ cached: bearer ? isApiKeyCached(bearer) : false });
}

/** The request headers the app sees after the proxy: NextResponse.next({ request: { headers } }) overrides them. */
function headersAfterProxy(original: Headers, passed: NextResponse): Headers {
  const override = passed.headers.get("x-middleware-override-headers");
  if (override === null) return original;
  const out = new Headers();
  for (const name of override.split(",").map((n) => n.trim()).filter(Boolean)) {
    const value = passed.headers.get(`x-middleware-request-${name}`);
    if (value !== null) out.set(name, value);
  }
  return out;
}

async function serve(incoming: IncomingMessage): Promise<Response> {
  const url = new URL(incoming.url ?? "/", env.APP_URL);
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
  const method = incoming.method ?? "GET";
  const init = { method, headers, body: method === "GET" || method === "HEAD" ? undefined : body };

  const passed = await proxy(new NextRequest(url, init));
  if (passed.headers.get("x-middleware-next") !== "1") return passed;

  const requestHeaders = headersAfterProxy(headers, passed);
  const route = routes.find((r) => r.pattern.test(url.pathname));
  const handler = route?.methods[method];
  let response: Response;
  if (!route || !handler) {
    response = Response.json({ title: "Not found" }, { status: route ? 405 : 404 });
  } else {
    const params = (route.pattern.exec(url.pathname)?.groups ?? {}) as Record<string, string>;
    const request = new NextRequest(url, { ...init, headers: requestHeaders });
    // The two stores Next.js's app-route module opens around a route handler: the route's, and the request's.
    const work = createWorkStore({ page: `${url.pathname}/route`, renderOpts: { experimental: {} }, isPrefetchRequest: false, buildId: "scale-out", previouslyRevalidatedTags: [] } as unknown as Parameters<typeof createWorkStore>[0]);
    // No implicit cache tags, cookie callback or preview data: these routes cache nothing and set cookies on their responses.
    const none = undefined as never;
    const requestStore = createRequestStoreForAPI(request, url, none, none, none, undefined);
    response = await workAsyncStorage.run(work, () => workUnitAsyncStorage.run(requestStore, () => handler(request, { params: Promise.resolve(params) })));
  }
  // What the proxy adds to the response (its cookies, security headers) goes with the route's answer.
  const merged = new Headers(response.headers);
  for (const [name, value] of passed.headers) {
    if (name.startsWith("x-middleware-") || name === "set-cookie") continue;
    if (!merged.has(name)) merged.set(name, value);
  }
  for (const cookie of passed.headers.getSetCookie()) merged.append("set-cookie", cookie);
  return new Response(response.body, { status: response.status, headers: merged });
}

async function reply(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
  let response: Response;
  try {
    response = await serve(incoming);
  } catch (error) {
    process.stderr.write(`instance ${process.env.SCALE_OUT_PORT}: unhandled ${error instanceof Error ? error.stack : String(error)}\n`);
    response = Response.json({ title: "Internal" }, { status: 500 });
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers) if (name !== "set-cookie") headers[name] = value;
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  outgoing.writeHead(response.status, headers);
  outgoing.end(Buffer.from(await response.arrayBuffer()));
}

const port = Number(process.env.SCALE_OUT_PORT);
const server = createServer((req, res) => void reply(req, res));
server.keepAliveTimeout = 30_000;
server.listen(port, "127.0.0.1", () => process.stdout.write(`READY ${port}\n`));
let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  server.close(() => {
    void closeDefaultRateLimitStore()
      .then(closeDb)
      .finally(() => process.exit(0));
  });
}
process.once("SIGTERM", stop);
// The test holds this process's stdin open: if the test process dies without stopping it, this one stops too and
// frees its port.
process.stdin.once("end", stop);
process.stdin.resume();
