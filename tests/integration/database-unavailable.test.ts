import { afterAll, describe, expect, it } from "vitest";

// Point the app at a PostgreSQL that is not there (port 9, discard) before any app module reads the config.
process.env.DATABASE_URL = "postgres://app_runtime@127.0.0.1:9/unreachable";
delete process.env.MIGRATION_DATABASE_URL;

const { closeDb, DatabaseUnavailableError, withTenant } = await import("@/lib/db");
const { createProject } = await import("@/lib/projects");
const { markVerified, sessionFromClaims } = await import("@/lib/auth/claims");

afterAll(closeDb);

// A session as the verifier would produce it; with the database down, nothing downstream can run anyway.
const now = Math.floor(Date.now() / 1000);
const session = sessionFromClaims({
  sub: "user_down", sid: "sess_down", iss: "http://localhost:3000", azp: "http://localhost:3000",
  exp: now + 600, nbf: now, iat: now, v: 2, o: { id: "org_down", rol: "admin" },
});

describe("database unreachable", () => {
  it("withTenant fails with DatabaseUnavailableError, not a driver error", async () => {
    await expect(withTenant(markVerified(session.claims), (tx) => tx.query("select 1"))).rejects.toBeInstanceOf(DatabaseUnavailableError);
  });

  it("a server action answers 503 with a plain message and no internals", async () => {
    const result = await createProject(session, { name: "Offline" }, { ip: null, userAgent: null, requestId: "req-offline-0001" });
    expect(result).toEqual({ ok: false, code: "unavailable", status: 503, message: "The service is temporarily unavailable. Nothing was changed; please try again." });
  });
});
