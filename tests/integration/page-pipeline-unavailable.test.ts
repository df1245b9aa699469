import { afterAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";

// Point the app at a PostgreSQL that is not there (port 9, discard) before any app module reads the config.
process.env.DATABASE_URL = "postgres://app_runtime@127.0.0.1:9/unreachable";
delete process.env.MIGRATION_DATABASE_URL;

const { closeDb } = await import("@/lib/db");
const { sessionFromClaims } = await import("@/lib/auth/claims");
const { default: ProjectsPage } = await import("@/app/(dashboard)/projects/page");
const { default: ProjectPage } = await import("@/app/(dashboard)/projects/[id]/page");
const { default: ApiKeysPage } = await import("@/app/(dashboard)/settings/api-keys/page");
const { default: SessionsPage } = await import("@/app/(dashboard)/account/sessions/page");

afterAll(closeDb);

const now = Math.floor(Date.now() / 1000);
const session = sessionFromClaims({
  sub: "user_down", sid: "sess_down", iss: "http://localhost:3000", azp: "http://localhost:3000",
  exp: now + 600, nbf: now, iat: now, v: 2, o: { id: "org_down", rol: "admin" },
});
const request = { ip: null, userAgent: null, requestId: "req-page-offline" };

describe("page reads while the database is unreachable", () => {
  it.each([
    ["projects", () => ProjectsPage.readFor(session, undefined, request)],
    ["project", () => ProjectPage.readFor(session, { id: randomUUID() }, request)],
    ["API keys", () => ApiKeysPage.readFor(session, undefined, request)],
    ["sessions", () => SessionsPage.readFor(session, undefined, request)],
  ])("the %s page answers 'temporarily unavailable', not an error", async (_name, read) => {
    expect(await read()).toEqual({ kind: "unavailable" });
  });
});
