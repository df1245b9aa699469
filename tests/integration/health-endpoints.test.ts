import { afterAll, describe, expect, it } from "vitest";
import { GET as live } from "@/app/health/live/route";
import { GET as status } from "@/app/health/status/route";
import { GET as metrics } from "@/app/health/metrics/route";
import { closeDb, ownerDb, runtimeSession } from "@/lib/db";
import { orgWithMembers } from "../helpers/tenants";
import { callApi, newKey } from "../helpers/api";

afterAll(closeDb);

describe("health endpoints (OBS-4)", () => {
  it("/health/live answers without touching dependencies", async () => {
    const res = live();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "live" });
  });

  it("/health/status reports version, uptime and embedded defaults, and no secrets", async () => {
    const body = (await (await status()).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ version: expect.any(String), uptimeSeconds: expect.any(Number) });
    const embedded = !process.env.DATABASE_URL;
    expect(body).toMatchObject({ embeddedDefaults: { database: embedded, identityProvider: true }, services: { database: embedded ? "pglite" : "postgres" } });
    // Only what exists (file storage and the virus scanner: tests/integration/health-storage-scanner.test.ts).
    expect(Object.keys(body.embeddedDefaults as object).sort()).toEqual(["database", "errorReporting", "identityProvider", "rateLimiting", "tracing"]);
    expect(Object.keys(body.services as object).sort()).toEqual(["database", "errorReporting", "identityProvider", "rateLimiting", "scanner", "storage", "tracing"]);
    const text = JSON.stringify(body);
    for (const secret of [process.env.DATABASE_URL, process.env.MIGRATION_DATABASE_URL, process.env.REDIS_URL].filter(Boolean)) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/postgres:\/\/|redis:\/\/|BEGIN PRIVATE KEY/);
  });

  it("/health/status says whether the database session is a superuser, as the database answers: PGlite's always is (TEN-1)", async () => {
    const body = (await (await status()).json()) as { databaseIsolation: { sessionUserIsSuperuser: boolean | null; limitation: string | null } };
    const [session] = await (await ownerDb()).query<{ superuser: boolean }>(
      "select rolsuper as superuser from pg_catalog.pg_roles where rolname = $1",
      [(await runtimeSession()).sessionUser],
    );
    expect(body.databaseIsolation.sessionUserIsSuperuser).toBe(session!.superuser);
    if (process.env.DATABASE_URL) {
      expect(body.databaseIsolation).toEqual({ sessionUserIsSuperuser: false, limitation: null });
    } else {
      expect(body.databaseIsolation).toEqual({ sessionUserIsSuperuser: true, limitation: expect.stringMatching(/superuser \(always so on PGlite\).*RESET ROLE.*time limits are not enforced/) });
    }
  });

  it("/health/metrics exposes request counts, latencies and rate-limit hits in Prometheus text", async () => {
    const a = await orgWithMembers("Metrics");
    const key = await newKey(a.admin);
    await callApi("get", "/api/v1/projects", { key: key.plaintext });
    await callApi("get", "/api/v1/projects/not-a-uuid", { key: key.plaintext });
    const res = await metrics(new Request("http://localhost:3000/health/metrics"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/http_requests_total\{[^}]*route_class="api_v1"[^}]*status="200"[^}]*\} [1-9]/);
    expect(text).toMatch(/http_requests_total\{[^}]*route_class="api_v1"[^}]*status="404"[^}]*\} [1-9]/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*route_class="api_v1"/);
    expect(text).not.toContain(key.plaintext);
  });
});
