import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
import { env } from "@/lib/env";

/**
 * OBS-4: Prometheus metrics for /health/metrics. One dedicated registry per process, kept on globalThis so a
 * dev hot reload reuses it instead of registering every metric twice (prom-client throws on that).
 * Every label value comes from a small fixed set or a sanitised name, so series cardinality stays bounded:
 * routes are classified (routeClassOf), never labelled with raw paths, ids or query strings.
 */

export const ROUTE_CLASSES = ["page", "api_v1", "graphql", "webhook", "health", "auth", "static", "other"] as const;
export type RouteClass = (typeof ROUTE_CLASSES)[number];

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const NAME = /^[a-z0-9][a-z0-9_.-]{0,31}$/;

interface Metrics {
  registry: Registry;
  httpRequests: Counter<"route_class" | "method" | "status">;
  httpRequestDuration: Histogram<"route_class">;
  rateLimitHits: Counter<"limiter">;
  webhookEvents: Counter<"provider" | "outcome">;
  auditWriteFailures: Counter;
  securityEvents: Counter<"type" | "severity">;
  securityAlerts: Counter<"type" | "severity">;
}

function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: "http_requests_total",
      help: "HTTP requests handled, by route class, method and status.",
      labelNames: ["route_class", "method", "status"] as const,
      registers: [registry],
    }),
    httpRequestDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request duration in seconds, by route class.",
      labelNames: ["route_class"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    rateLimitHits: new Counter({
      name: "rate_limit_hits_total",
      help: "Requests refused by a rate limiter (RL-3), by limiter.",
      labelNames: ["limiter"] as const,
      registers: [registry],
    }),
    webhookEvents: new Counter({
      name: "webhook_events_total",
      help: "Inbound webhook events, by provider and outcome.",
      labelNames: ["provider", "outcome"] as const,
      registers: [registry],
    }),
    auditWriteFailures: new Counter({
      name: "audit_write_failures_total",
      help: "Audit log writes that failed (AUD-4: reported, never breaking the request).",
      registers: [registry],
    }),
    securityEvents: new Counter({
      name: "security_events_total",
      help: "Security events noted (AUD-5 taxonomy, lib/audit/events.ts), by type and severity.",
      labelNames: ["type", "severity"] as const,
      registers: [registry],
    }),
    securityAlerts: new Counter({
      name: "security_alerts_total",
      help: "High and critical security events that raised an alert (AUD-5, RL-3), by type and severity.",
      labelNames: ["type", "severity"] as const,
      registers: [registry],
    }),
  };
}

const globalMetrics = globalThis as typeof globalThis & { __tenantguardMetrics?: Metrics };
const metrics: Metrics = (globalMetrics.__tenantguardMetrics ??= createMetrics());

/** The registry behind /health/metrics. */
export function metricsRegistry(): Registry {
  return metrics.registry;
}

function matches(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

const AUTH_PATHS = ["/sign-in", "/sign-up", "/sign-out", "/api/session", "/api/auth", "/.well-known/jwks.json", "/.well-known/openid-configuration"];
const STATIC_PATHS = ["/_next", "/favicon.ico", "/icon.svg", "/robots.txt", "/sitemap.xml", "/.well-known/security.txt"];
const STATIC_FILE = /\.(?:js|mjs|css|map|png|jpe?g|gif|svg|ico|webp|avif|woff2?|ttf|otf|txt|xml|webmanifest)$/i;
const PAGE_PATHS = ["/projects", "/account", "/settings", "/security", "/dashboard", "/billing", "/members", "/api-keys", "/integrations", "/documents", "/videos", "/audit", "/invite", "/onboarding"];

/** Maps a request path to one of ROUTE_CLASSES; anything unknown is "other". */
export function routeClassOf(pathname: string): RouteClass {
  let path = pathname.split(/[?#]/, 1)[0] ?? "";
  if (path.length > 1) path = path.replace(/\/+$/, "");
  if (matches(path, "/health")) return "health";
  if (matches(path, "/api/v1")) return "api_v1";
  if (matches(path, "/api/graphql")) return "graphql";
  if (path.startsWith("/api/webhooks/")) return "webhook";
  if (AUTH_PATHS.some((p) => matches(path, p))) return "auth";
  if (STATIC_PATHS.some((p) => matches(path, p)) || STATIC_FILE.test(path)) return "static";
  if (path === "/" || PAGE_PATHS.some((p) => matches(path, p))) return "page";
  return "other";
}

function boundedRouteClass(routeClass: string): RouteClass {
  return (ROUTE_CLASSES as readonly string[]).includes(routeClass) ? (routeClass as RouteClass) : "other";
}

function boundedName(name: string): string {
  const lower = name.toLowerCase();
  return NAME.test(lower) ? lower : "other";
}

/** Records one handled request. Out-of-set values are folded ("other", "OTHER", "unknown") to bound cardinality. */
export function recordRequest(routeClass: RouteClass, method: string, status: number, seconds: number): void {
  const route_class = boundedRouteClass(routeClass);
  const upper = method.toUpperCase();
  const statusLabel = Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : "unknown";
  metrics.httpRequests.inc({ route_class, method: METHODS.has(upper) ? upper : "OTHER", status: statusLabel });
  if (Number.isFinite(seconds) && seconds >= 0) metrics.httpRequestDuration.observe({ route_class }, seconds);
}

export function recordRateLimitHit(limiter: string): void {
  metrics.rateLimitHits.inc({ limiter: boundedName(limiter) });
}

export function recordWebhook(provider: string, outcome: string): void {
  metrics.webhookEvents.inc({ provider: boundedName(provider), outcome: boundedName(outcome) });
}

export function recordAuditWriteFailure(): void {
  metrics.auditWriteFailures.inc();
}

const SECURITY_TYPE = /^security\.[a-z0-9_]{1,60}$/;
const SEVERITY_LABELS = new Set(["info", "low", "medium", "high", "critical"]);

/** AUD-5: a security event of the taxonomy; alerted when it raised an alert. Labels outside it fold to "other". */
export function recordSecurityEvent(type: string, severity: string, alerted: boolean): void {
  const labels = { type: SECURITY_TYPE.test(type) ? type : "other", severity: SEVERITY_LABELS.has(severity) ? severity : "other" };
  metrics.securityEvents.inc(labels);
  if (alerted) metrics.securityAlerts.inc(labels);
}

/** The current value of a counter (diagnostics and tests). */
export async function counterValue(name: "audit_write_failures_total" | "security_alerts_total" | "security_events_total", labels: Record<string, string> = {}): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  return (metric?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, value]) => (v.labels as Record<string, unknown>)[k] === value))
    .reduce((sum, v) => sum + v.value, 0);
}

/** The Prometheus exposition text and its content type, for /health/metrics. */
export async function metricsText(): Promise<{ body: string; contentType: string }> {
  return { body: await metrics.registry.metrics(), contentType: metrics.registry.contentType };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/**
 * Who may scrape /health/metrics: with METRICS_TOKEN set, only `Authorization: Bearer <METRICS_TOKEN>`
 * (compared in constant time); without it, anyone outside production and nobody in production.
 */
export function metricsScrapeAllowed(
  authorization: string | null,
  token: string | undefined = env.METRICS_TOKEN,
  production: boolean = env.NODE_ENV === "production",
): boolean {
  if (!token) return !production;
  const presented = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? "")?.[1];
  return presented !== undefined && timingSafeEqual(digest(presented), digest(token));
}
