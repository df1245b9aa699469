import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DatabaseUnavailableError, openPglite } from "@/lib/db/engine";
import { migrate } from "@/lib/db/migrate";

/**
 * OBS-4 on the embedded engine: opening PGlite is where it can fail (a data directory that cannot be opened, a
 * migration that stops the run). Either way requests answer "unavailable" (503 + Retry-After, the actions' message),
 * never a 500, and the next request tries again, so the app recovers once the cause is fixed.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), "tenantguard-embedded-"));
{
  // A data directory whose first migration was edited after it was applied: migrating on open refuses to go on.
  const db = await openPglite(dataDir);
  await migrate(db);
  await db.exec("update app_migrations.applied set checksum = repeat('0', 64) where name = (select min(name) from app_migrations.applied)");
  await db.close();
}

// Before any app module reads the configuration: this file always runs on the embedded engine.
delete process.env.DATABASE_URL;
delete process.env.MIGRATION_DATABASE_URL;
delete process.env.JOBS_IN_PROCESS; // set to false for the PostgreSQL run (vitest.config.ts); PGlite refuses that
process.env.PGLITE_DATA_DIR = dataDir;

const { closeDb, withTenant } = await import("@/lib/db");
const { createProject, listProjects } = await import("@/lib/projects");
const { readForPage } = await import("@/lib/pages/read");
const { markVerified, sessionFromClaims } = await import("@/lib/auth/claims");
const { generateApiKey } = await import("@/lib/api-keys/key-format");
const { GET: ready } = await import("@/app/health/ready/route");
const { callApi } = await import("../helpers/api");

afterAll(closeDb);

const now = Math.floor(Date.now() / 1000);
const session = sessionFromClaims({
  sub: "user_embedded", sid: "sess_embedded", iss: "http://localhost:3000", azp: "http://localhost:3000",
  exp: now + 600, nbf: now, iat: now, v: 2, o: { id: "org_embedded", rol: "admin" },
});

describe("the embedded database cannot be opened", () => {
  it("a data directory that cannot be created is DatabaseUnavailableError", async () => {
    const file = path.join(dataDir, "..", `not-a-directory-${process.pid}`);
    writeFileSync(file, "");
    await expect(openPglite(path.join(file, "data"))).rejects.toBeInstanceOf(DatabaseUnavailableError);
  });

  it("a migration that stops the run on open: every path answers 'unavailable', nothing internal reaches a client", async () => {
    const failed = await withTenant(markVerified(session.claims), (tx) => tx.query("select 1")).then(() => null, (e: unknown) => e);
    expect(failed).toBeInstanceOf(DatabaseUnavailableError);
    expect(String(((failed as Error).cause as Error).message)).toMatch(/was changed after it was applied/);

    const api = await callApi("get", "/api/v1/projects", { key: generateApiKey("test") });
    expect(api.status).toBe(503);
    expect(api.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(api.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(api.json).toMatchObject({ code: "unavailable" });
    for (const internal of ["Migration", "migration", dataDir]) expect(api.text).not.toContain(internal);

    const health = await ready();
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "unavailable", checks: { database: { status: "down" } } });

    const page = await readForPage(session, { name: "projects", minimumRole: "member", read: ({ tx }) => listProjects(tx) }, undefined, { ip: null, userAgent: null, requestId: "req-page-0001" });
    expect(page).toEqual({ kind: "unavailable" });

    const action = await createProject(session, { name: "Embedded" }, { ip: null, userAgent: null, requestId: "req-embedded-0001" });
    expect(action).toMatchObject({ ok: false, code: "unavailable", status: 503 });
  });

  it("once the cause is fixed, the next request opens it", async () => {
    const db = await openPglite(dataDir);
    await db.exec("update app_migrations.applied set checksum = null where checksum = repeat('0', 64)");
    await db.close();
    expect(await withTenant(markVerified(session.claims), (tx) => tx.query("select current_user::text as u"))).toEqual([{ u: "authenticated" }]);
    expect((await ready()).status).toBe(200);
  });
});
