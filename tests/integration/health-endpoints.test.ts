import { afterAll, describe, expect, it } from "vitest";
import { GET as live } from "@/app/health/live/route";
import { GET as status } from "@/app/health/status/route";
import { GET as metrics } from "@/app/health/metrics/route";
import { closeDb } from "@/lib/db";
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
    const body = (await status().json()) as Record<string, unknown>;
    expect(body).toMatchObject({ version: expect.any(String), uptimeSeconds: expect.any(Number) });
    const embedded = !process.env.DATABASE_URL;
    expect(body).toMatchObject({ embeddedDefaults: { database: embedded, identityProvider: true }, services: { database: embedded ? "pglite" : "postgres" } });
    const text = JSON.stringify(body);
    for (const secret of [process.env.DATABASE_URL, process.env.MIGRATION_DATABASE_URL, process.env.REDIS_URL].filter(Boolean)) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/postgres:\/\/|redis:\/\/|BEGIN PRIVATE KEY/);
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
