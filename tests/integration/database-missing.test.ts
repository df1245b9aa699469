import { afterAll, describe, expect, it } from "vitest";

/**
 * A real PostgreSQL that answers, for a database that does not exist (not created yet, dropped, a typo in
 * DATABASE_URL): SQLSTATE 3D000 at connect. That is "unavailable" (503 + Retry-After), like any other outage.
 * The server is the one of the PostgreSQL run (DATABASE_URL); on embedded defaults there is none to ask, and
 * tests/integration/database-unavailable.test.ts answers the same 3D000 at the protocol level instead.
 */
const realServer = process.env.DATABASE_URL;
const server = new URL(realServer ?? "postgres://app_runtime@127.0.0.1:5432/postgres");
const missing = `tenantguard_missing_${process.pid}_${Date.now()}`;
server.pathname = `/${missing}`;
process.env.DATABASE_URL = server.toString();
delete process.env.MIGRATION_DATABASE_URL;

const { closeDb, DatabaseUnavailableError, withTenant } = await import("@/lib/db");
const { createProject, listProjects } = await import("@/lib/projects");
const { readForPage } = await import("@/lib/pages/read");
const { markVerified, sessionFromClaims } = await import("@/lib/auth/claims");
const { generateApiKey } = await import("@/lib/api-keys/key-format");
const { GET: ready } = await import("@/app/health/ready/route");
const { callApi } = await import("../helpers/api");

afterAll(closeDb);

const now = Math.floor(Date.now() / 1000);
const session = sessionFromClaims({
  sub: "user_missing", sid: "sess_missing", iss: "http://localhost:3000", azp: "http://localhost:3000",
  exp: now + 600, nbf: now, iat: now, v: 2, o: { id: "org_missing", rol: "admin" },
});

describe.skipIf(!realServer)("DATABASE_URL names a database that does not exist (real PostgreSQL, 3D000)", () => {
  it("a tenant transaction fails with DatabaseUnavailableError caused by 3D000", async () => {
    const error = await withTenant(markVerified(session.claims), (tx) => tx.query("select 1")).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).cause).toMatchObject({ code: "3D000" });
  });

  it("the partner API answers 503 problem+json with Retry-After and no internals", async () => {
    const res = await callApi("get", "/api/v1/projects", { key: generateApiKey("test") });
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(res.json).toMatchObject({ code: "unavailable", status: 503 });
    for (const internal of ["3D000", missing, "does not exist", server.host]) expect(res.text).not.toContain(internal);
  });

  it("/health/ready answers 503 and an action its 'unavailable' result", async () => {
    const health = await ready();
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "unavailable", checks: { database: { status: "down" } } });
    const page = await readForPage(session, { name: "projects", minimumRole: "member", read: ({ tx }) => listProjects(tx) }, undefined, { ip: null, userAgent: null, requestId: "req-page-0001" });
    expect(page).toEqual({ kind: "unavailable" });

    const action = await createProject(session, { name: "Nowhere" }, { ip: null, userAgent: null, requestId: "req-missing-0001" });
    expect(action).toMatchObject({ ok: false, code: "unavailable", status: 503 });
  });
});
