import { describe, expect, it } from "vitest";
import { ConfigurationError, parseEnv, startupWarnings } from "@/lib/env";
import { PRODUCTION_ENV } from "../helpers/production-env";

// ENC-3 / IDN-2 / ENC-4: unsafe production configuration stops start-up with a message that says why.
const productionClerk = PRODUCTION_ENV;

// A demo deployment: ALLOW_EMBEDDED_IN_PRODUCTION permits the embedded components it names, nothing else.
const demo = { NODE_ENV: "production", APP_URL: "http://localhost:3100", ALLOW_EMBEDDED_IN_PRODUCTION: "true" };

function refusal(source: Record<string, string | undefined>): string {
  try {
    parseEnv(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error("configuration was accepted");
}

describe("configuration", () => {
  it("defaults to embedded services in development", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ identityProvider: "embedded", databaseEngine: "pglite", authorizedParties: ["http://localhost:3000"] });
  });

  it("accepts a safe production configuration", () => {
    expect(parseEnv(productionClerk)).toMatchObject({ identityProvider: "clerk", databaseEngine: "postgres" });
  });

  it.each([
    ["the embedded identity provider", { CLERK_SECRET_KEY: "", CLERK_JWT_KEY: "", NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: "" }, /embedded identity provider/],
    ["PGlite", { DATABASE_URL: "" }, /DATABASE_URL is required/],
    ["in-memory rate limits", { REDIS_URL: "" }, /RL-2: rate limits must be shared/],
    ["a database connection without TLS", { DATABASE_URL: "postgres://u:p@db.example.com/app" }, /sslmode=require/],
    ["a database connection with sslmode=prefer", { DATABASE_URL: "postgres://u:p@db.example.com/app?sslmode=prefer" }, /sslmode=require/],
    ["a plain-http APP_URL", { APP_URL: "http://app.example.com" }, /APP_URL must be https/],
    ["a Redis connection without TLS", { REDIS_URL: "redis://cache.example.com:6379" }, /rediss/],
    ["an Upstash endpoint over http", { UPSTASH_REDIS_REST_URL: "http://eu1.upstash.example", UPSTASH_REDIS_REST_TOKEN: "t" }, /UPSTASH_REDIS_REST_URL must be https/],
    ["a Sentry DSN over http", { SENTRY_DSN: "http://key@sentry.example.com/1" }, /SENTRY_DSN must be https/],
    ["an OTLP endpoint over http", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel.example.com:4318" }, /OTEL_EXPORTER_OTLP_ENDPOINT must be https/],
    ["the Vercel client-IP header off Vercel", { CLIENT_IP_SOURCE: "vercel" }, /only Vercel sets/],
    ["X-Forwarded-For without a proxy count", { CLIENT_IP_SOURCE: "forwarded" }, /needs TRUSTED_PROXY_HOPS/],
    ["half a Clerk configuration", { CLERK_JWT_KEY: "" }, /partly configured/],
  ])("refuses %s in production", (_name, override, message) => {
    expect(refusal({ ...productionClerk, ...override })).toMatch(message);
  });

  it.each([
    ["a real database without TLS", { DATABASE_URL: "postgres://u:p@db.example.com/app" }, /sslmode=require/],
    ["a real Redis without TLS", { REDIS_URL: "redis://cache.example.com:6379" }, /rediss/],
    ["an Upstash endpoint over http", { UPSTASH_REDIS_REST_URL: "http://eu1.upstash.example", UPSTASH_REDIS_REST_TOKEN: "t" }, /UPSTASH_REDIS_REST_URL must be https/],
    ["a Sentry DSN over http", { SENTRY_DSN: "http://key@sentry.example.com/1" }, /SENTRY_DSN must be https/],
    ["an OTLP endpoint over http", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel.example.com:4318" }, /OTEL_EXPORTER_OTLP_ENDPOINT must be https/],
    ["plain http on a public host", { APP_URL: "http://demo.example.com" }, /APP_URL must be https/],
  ])("the demo flag still refuses %s", (_name, override, message) => {
    expect(refusal({ ...demo, ...override })).toMatch(message);
  });

  it("services on this machine (loopback) need no TLS: their traffic never leaves the host", () => {
    const local = {
      ...productionClerk,
      DATABASE_URL: "postgres://app_runtime@127.0.0.1:5432/app",
      REDIS_URL: "redis://localhost:6379",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://[::1]:4318",
    };
    expect(parseEnv(local)).toMatchObject({ databaseEngine: "postgres", rateLimitsInMemory: false });
  });

  it("picks a client-address source that cannot be forged in production, and what works with next dev otherwise", () => {
    expect(parseEnv(productionClerk).clientIpSource).toBe("socket");
    expect(parseEnv({ ...productionClerk, VERCEL: "1" }).clientIpSource).toBe("vercel");
    expect(parseEnv({ ...productionClerk, CLIENT_IP_SOURCE: "forwarded", TRUSTED_PROXY_HOPS: "2" })).toMatchObject({ clientIpSource: "forwarded", TRUSTED_PROXY_HOPS: 2 });
    expect(parseEnv({}).clientIpSource).toBe("forwarded");
    expect(refusal({ CLIENT_IP_SOURCE: "header" })).toMatch(/CLIENT_IP_SOURCE/);
  });

  it("knows when the app is served over https (session cookies are Secure then)", () => {
    expect(parseEnv(productionClerk).servedOverHttps).toBe(true);
    expect(parseEnv(demo).servedOverHttps).toBe(false);
  });

  it("a demo start says plainly what the flag permits and that the embedded database runs as its superuser", () => {
    const warnings = startupWarnings(parseEnv(demo)).join("\n");
    expect(warnings).toMatch(/embedded identity provider/);
    expect(warnings).toMatch(/PGlite/);
    expect(warnings).toMatch(/in-memory rate limits/);
    expect(warnings).toMatch(/session cookie is not Secure/);
    expect(warnings).toMatch(/superuser[^]*RESET ROLE/);
    expect(startupWarnings(parseEnv(productionClerk))).toEqual([]);
    expect(startupWarnings(parseEnv({ ...demo, DATABASE_URL: "postgres://app_runtime@127.0.0.1/app" })).join("\n")).not.toMatch(/superuser/);
  });

  it("AUD-5: production refuses to start without AUDIT_SIGNING_KEY or with a malformed one; a demo signs with the development key, said plainly", () => {
    expect(refusal({ ...productionClerk, AUDIT_SIGNING_KEY: "" })).toMatch(/AUD-5: AUDIT_SIGNING_KEY is required in production/);
    expect(refusal({ ...productionClerk, AUDIT_SIGNING_KEY: "MC4CAQAwBQYDK2VwBCIEICaCFSvz0wIdx1MKk2sL5XPwbGsgu" })).toMatch(/AUDIT_SIGNING_KEY/); // secret-scan: allow (test-only key)
    expect(parseEnv(demo).AUDIT_SIGNING_KEY).toBeUndefined();
    expect(startupWarnings(parseEnv(demo)).join("\n")).toMatch(/development key/);
  });

  it("allows embedded services in production only when explicitly enabled for a demo", () => {
    const { ALLOW_EMBEDDED_IN_PRODUCTION: _flag, ...withoutFlag } = demo;
    expect(refusal(withoutFlag)).toMatch(/embedded identity provider/);
    expect(parseEnv(demo)).toMatchObject({ identityProvider: "embedded", databaseEngine: "pglite", rateLimitsInMemory: true });
  });

  it("refuses a wildcard CORS origin: cookie routes are credentialed (HDR-3)", () => {
    expect(refusal({ CORS_ORIGINS: "*" })).toMatch(/wildcard with credentials/);
    expect(refusal({ CORS_ORIGINS: "https://a.example.com, https://*.example.com" })).toMatch(/wildcard/);
    expect(refusal({ CORS_ORIGINS: "https://a.example.com/path" })).toMatch(/not an origin/);
    expect(parseEnv({ CORS_ORIGINS: "https://a.example.com, https://b.example.com" }).corsOrigins).toEqual(["https://a.example.com", "https://b.example.com"]);
  });

  it("rejects malformed values", () => {
    expect(refusal({ APP_URL: "not a url" })).toMatch(/APP_URL/);
    expect(refusal({ SESSION_TTL_SECONDS: "5" })).toMatch(/SESSION_TTL_SECONDS/);
  });
});
