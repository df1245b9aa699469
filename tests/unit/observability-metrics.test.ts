import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  metricsRegistry,
  metricsScrapeAllowed,
  metricsText,
  recordAuditWriteFailure,
  recordRateLimitHit,
  recordRequest,
  recordWebhook,
  routeClassOf,
} from "@/lib/observability/metrics";

/** OBS-4: Prometheus text for /health/metrics, with bounded label cardinality. */

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format into samples (comments skipped). */
function parse(text: string): Sample[] {
  return text
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`unparseable line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, key, value] of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  const found = samples.find((s) => s.name === name && Object.keys(s.labels).length === wanted.length && wanted.every(([k, v]) => s.labels[k] === v));
  return found?.value;
}

async function scrape(): Promise<Sample[]> {
  return parse((await metricsText()).body);
}

beforeEach(() => {
  metricsRegistry().resetMetrics();
});

describe("metricsText (OBS-4)", () => {
  it("is Prometheus text with its content type, including process metrics", async () => {
    const { body, contentType } = await metricsText();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain("# TYPE http_requests_total counter");
    expect(body).toContain("# TYPE http_request_duration_seconds histogram");
    expect(body).toMatch(/^process_cpu_user_seconds_total /m);
    expect(body).toMatch(/^nodejs_heap_size_used_bytes /m);
  });

  it("counts requests by route class, method and status, and their durations", async () => {
    recordRequest("api_v1", "GET", 200, 0.12);
    recordRequest("api_v1", "get", 200, 0.5);
    recordRequest("api_v1", "POST", 422, 0.03);
    recordRequest("page", "GET", 200, 2);

    const samples = await scrape();
    expect(valueOf(samples, "http_requests_total", { route_class: "api_v1", method: "GET", status: "200" })).toBe(2);
    expect(valueOf(samples, "http_requests_total", { route_class: "api_v1", method: "POST", status: "422" })).toBe(1);
    expect(valueOf(samples, "http_requests_total", { route_class: "page", method: "GET", status: "200" })).toBe(1);
    expect(valueOf(samples, "http_request_duration_seconds_count", { route_class: "api_v1" })).toBe(3);
    expect(valueOf(samples, "http_request_duration_seconds_sum", { route_class: "api_v1" })).toBeCloseTo(0.65);
    expect(valueOf(samples, "http_request_duration_seconds_bucket", { route_class: "api_v1", le: "0.1" })).toBe(1);
    expect(valueOf(samples, "http_request_duration_seconds_bucket", { route_class: "api_v1", le: "0.25" })).toBe(2);
    expect(valueOf(samples, "http_request_duration_seconds_bucket", { route_class: "api_v1", le: "+Inf" })).toBe(3);
  });

  it("counts rate-limit hits, webhook events and audit write failures", async () => {
    recordRateLimitHit("api_key");
    recordRateLimitHit("api_key");
    recordRateLimitHit("ip");
    recordWebhook("stripe", "processed");
    recordWebhook("stripe", "rejected_signature");
    recordWebhook("stripe", "rejected_signature");
    recordAuditWriteFailure();

    const samples = await scrape();
    expect(valueOf(samples, "rate_limit_hits_total", { limiter: "api_key" })).toBe(2);
    expect(valueOf(samples, "rate_limit_hits_total", { limiter: "ip" })).toBe(1);
    expect(valueOf(samples, "webhook_events_total", { provider: "stripe", outcome: "processed" })).toBe(1);
    expect(valueOf(samples, "webhook_events_total", { provider: "stripe", outcome: "rejected_signature" })).toBe(2);
    expect(valueOf(samples, "audit_write_failures_total")).toBe(1);
  });

  it("folds unexpected label values so cardinality stays bounded", async () => {
    recordRequest("/projects/6f1c…" as never, "BREW", 999, Number.NaN);
    recordRateLimitHit("tenant org_2abc with spaces and an id 12345");
    recordWebhook("Some Provider!", "x".repeat(100));

    const samples = await scrape();
    expect(valueOf(samples, "http_requests_total", { route_class: "other", method: "OTHER", status: "unknown" })).toBe(1);
    expect(valueOf(samples, "http_request_duration_seconds_count", { route_class: "other" })).toBeUndefined();
    expect(valueOf(samples, "rate_limit_hits_total", { limiter: "other" })).toBe(1);
    expect(valueOf(samples, "webhook_events_total", { provider: "other", outcome: "other" })).toBe(1);
  });

  it("a dev hot reload reuses the registry instead of registering the metrics twice", async () => {
    recordAuditWriteFailure();
    vi.resetModules();
    const reloaded = await import("@/lib/observability/metrics");
    expect(reloaded.metricsRegistry()).toBe(metricsRegistry());
    reloaded.recordAuditWriteFailure();
    expect(valueOf(await scrape(), "audit_write_failures_total")).toBe(2);
  });
});

describe("routeClassOf (OBS-4 label cardinality)", () => {
  it.each([
    ["/", "page"],
    ["/projects", "page"],
    ["/projects/6f1c2d3e-0000-4000-8000-000000000000", "page"],
    ["/account/sessions", "page"],
    ["/settings/members/", "page"],
    ["/api/v1/projects", "api_v1"],
    ["/api/v1/projects/42?include=owner", "api_v1"],
    ["/api/graphql", "graphql"],
    ["/api/webhooks/stripe", "webhook"],
    ["/api/webhooks/mux", "webhook"],
    ["/health/live", "health"],
    ["/health/metrics", "health"],
    ["/sign-in", "auth"],
    ["/sign-in?next=%2Fprojects", "auth"],
    ["/api/session", "auth"],
    ["/.well-known/jwks.json", "auth"],
    ["/_next/static/chunks/main.js", "static"],
    ["/favicon.ico", "static"],
    ["/fonts/inter.woff2", "static"],
    ["/wp-admin/setup.php", "other"],
    ["/projectsX", "other"],
    ["/api/v10/projects", "other"],
    ["/api/csp-report", "other"],
    ["/../../etc/passwd", "other"],
    ["", "other"],
  ])("%s -> %s", (path, routeClass) => {
    expect(routeClassOf(path)).toBe(routeClass);
  });
});

describe("metricsScrapeAllowed (who may read /health/metrics)", () => {
  const token = "m3tr1cs-t0ken-long-enough";

  it.each([
    [`Bearer ${token}`, true],
    [`bearer ${token}`, true],
    [`Bearer ${token}x`, false],
    ["Bearer wrong", false],
    [token, false],
    [null, false],
  ])("with METRICS_TOKEN set, %s -> %s", (authorization, allowed) => {
    expect(metricsScrapeAllowed(authorization, token, true)).toBe(allowed);
    expect(metricsScrapeAllowed(authorization, token, false)).toBe(allowed);
  });

  it("without METRICS_TOKEN: open outside production, closed in production", () => {
    expect(metricsScrapeAllowed(null, undefined, false)).toBe(true);
    expect(metricsScrapeAllowed("Bearer anything", undefined, true)).toBe(false);
  });
});
