import { describe, expect, it } from "vitest";
import { ConfigurationError, parseEnv } from "@/lib/env";

// ENC-3 / IDN-2 / ENC-4: unsafe production configuration stops start-up with a message that says why.
const productionClerk = {
  NODE_ENV: "production",
  APP_URL: "https://app.example.com",
  DATABASE_URL: "postgres://app_runtime:pw@db.example.com:5432/app?sslmode=require",
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: "pk_live_Y2xlcmsuZXhhbXBsZS5jb20k",
  CLERK_SECRET_KEY: "sk_live_x",
  CLERK_JWT_KEY: "-----BEGIN PUBLIC KEY-----x-----END PUBLIC KEY-----",
};

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
    ["a database connection without TLS", { DATABASE_URL: "postgres://u:p@db.example.com/app" }, /sslmode=require/],
    ["a plain-http APP_URL", { APP_URL: "http://app.example.com" }, /https/],
    ["a Redis connection without TLS", { REDIS_URL: "redis://cache.example.com:6379" }, /rediss/],
    ["half a Clerk configuration", { CLERK_JWT_KEY: "" }, /partly configured/],
  ])("refuses %s in production", (_name, override, message) => {
    expect(refusal({ ...productionClerk, ...override })).toMatch(message);
  });

  it("allows embedded services in production only when explicitly enabled for a demo", () => {
    const demo = { NODE_ENV: "production", APP_URL: "http://localhost:3100" };
    expect(refusal(demo)).toMatch(/embedded identity provider/);
    expect(parseEnv({ ...demo, ALLOW_EMBEDDED_IN_PRODUCTION: "true" })).toMatchObject({ identityProvider: "embedded" });
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
