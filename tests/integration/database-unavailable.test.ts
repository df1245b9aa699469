import net from "node:net";
import { afterAll, describe, expect, it } from "vitest";

/**
 * OBS-4 / VAL-3: whatever stops the app from reaching its database — nothing listening, a connection cut, a
 * database that does not exist, too many connections, a server starting up or shutting down, a refused login — is
 * "unavailable": the partner API answers 503 problem+json with Retry-After, /health/ready 503, actions their
 * "temporarily unavailable" result. Never a 500, never the driver's message.
 *
 * The app points at a TCP server of this test that answers PostgreSQL's start-up message the way a real server
 * refuses one (an ErrorResponse with the SQLSTATE, then close), or resets the connection, or stops listening.
 * (tests/integration/database-missing.test.ts does the same against a real PostgreSQL and a missing database.)
 */
type Answer = { kind: "error"; code: string; message: string } | { kind: "reset" };
let answer: Answer = { kind: "reset" };

/** PostgreSQL's ErrorResponse: 'E', length, then (type byte, C string) fields, ended by a zero byte. */
function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.concat([
    ...[["S", "FATAL"], ["V", "FATAL"], ["C", code], ["M", message]].map(([type, value]) => Buffer.from(`${type}${value}\0`, "utf8")),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(5);
  head.write("E", 0);
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

const sockets = new Set<net.Socket>();
const server = net.createServer((socket) => {
  sockets.add(socket);
  socket.on("close", () => sockets.delete(socket));
  socket.on("error", () => {});
  socket.once("data", () => {
    if (answer.kind === "reset") socket.resetAndDestroy();
    else socket.end(errorResponse(answer.code, answer.message));
  });
});
const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)));

// Before any app module reads the configuration.
process.env.DATABASE_URL = `postgres://app_runtime@127.0.0.1:${port}/tenantguard`;
delete process.env.MIGRATION_DATABASE_URL;

const { closeDb, DatabaseUnavailableError, withTenant } = await import("@/lib/db");
const { createProject, listProjects } = await import("@/lib/projects");
const { readForPage } = await import("@/lib/pages/read");
const { markVerified, sessionFromClaims } = await import("@/lib/auth/claims");
const { generateApiKey } = await import("@/lib/api-keys/key-format");
const { GET: ready } = await import("@/app/health/ready/route");
const { callApi } = await import("../helpers/api");
const { tapLogOutput } = await import("@/lib/observability/logger");

afterAll(async () => {
  await closeDb();
  for (const socket of sockets) socket.destroy();
  if (server.listening) await new Promise((resolve) => server.close(resolve));
});

// A session as the verifier would produce it; with the database down, nothing downstream can run anyway.
const now = Math.floor(Date.now() / 1000);
const session = sessionFromClaims({
  sub: "user_down", sid: "sess_down", iss: "http://localhost:3000", azp: "http://localhost:3000",
  exp: now + 600, nbf: now, iat: now, v: 2, o: { id: "org_down", rol: "admin" },
});
// A well-formed key: it must reach the database lookup to find the database down.
const key = generateApiKey("test");

async function expectUnavailableEverywhere(cause: (error: unknown) => void, internals: string[]) {
  const failed = await withTenant(markVerified(session.claims), (tx) => tx.query("select 1")).then(
    () => null,
    (error: unknown) => error,
  );
  expect(failed).toBeInstanceOf(DatabaseUnavailableError);
  cause((failed as Error).cause);

  const api = await callApi("get", "/api/v1/projects", { key });
  expect(api.status).toBe(503);
  expect(api.headers.get("content-type")).toBe("application/problem+json");
  expect(Number(api.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(api.json).toMatchObject({ code: "unavailable", status: 503 });
  for (const internal of [...internals, "ECONN", "Connection terminated", "127.0.0.1", String(port), "app_runtime", "stack"]) expect(api.text).not.toContain(internal);

  // The readiness probe is where an operator learns why: the cause is in the log, never in a response.
  const lines: string[] = [];
  const untap = tapLogOutput((line) => void lines.push(line));
  const health = await ready();
  untap();
  expect(health.status).toBe(503);
  const body = await health.text();
  expect(JSON.parse(body)).toMatchObject({ status: "unavailable", checks: { database: { status: "down" } } });
  for (const internal of internals) expect(body).not.toContain(internal);
  const logged = lines.map((line) => JSON.parse(line) as { msg?: string; code?: string; reason?: string }).find((l) => l.msg === "readiness: the database did not answer");
  expect(logged).toBeDefined();
  for (const internal of internals) expect(`${logged!.code} ${logged!.reason}`).toContain(internal);

  const page = await readForPage(session, { name: "projects", minimumRole: "member", read: ({ tx }) => listProjects(tx) }, undefined, { ip: null, userAgent: null, requestId: "req-page-0001" });
  expect(page).toEqual({ kind: "unavailable" });

  const action = await createProject(session, { name: "Offline" }, { ip: null, userAgent: null, requestId: "req-offline-0001" });
  expect(action).toEqual({ ok: false, code: "unavailable", status: 503, message: "The service is temporarily unavailable. Nothing was changed; please try again." });
}

const refusals: { name: string; code: string; message: string }[] = [
  { name: "the database does not exist (3D000)", code: "3D000", message: 'database "tenantguard" does not exist' },
  { name: "too many connections (53300)", code: "53300", message: "sorry, too many clients already" },
  { name: "the server is starting up (57P03)", code: "57P03", message: "the database system is starting up" },
  { name: "the server is shutting down (57P01)", code: "57P01", message: "terminating connection due to administrator command" },
  { name: "the server rejected the connection (08004)", code: "08004", message: "rejected" },
  { name: "the login is refused (28P01)", code: "28P01", message: 'password authentication failed for user "app_runtime"' },
];

describe("the database refuses or cannot be reached: every path answers 'unavailable'", () => {
  it.each(refusals)("$name", async ({ code, message }) => {
    answer = { kind: "error", code, message };
    await expectUnavailableEverywhere((cause) => expect(cause).toMatchObject({ code }), [code, message]);
  });

  it("the connection is reset during start-up", async () => {
    answer = { kind: "reset" };
    await expectUnavailableEverywhere((cause) => expect(String((cause as Error).message)).toMatch(/ECONNRESET|Connection terminated/), []);
  });

  it("nothing listens (connection refused)", async () => {
    await new Promise((resolve) => server.close(resolve));
    await expectUnavailableEverywhere((cause) => expect(cause).toMatchObject({ code: "ECONNREFUSED" }), []);
  });
});
