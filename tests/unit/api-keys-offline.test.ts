import { afterAll, describe, expect, it } from "vitest";

// Point the app at a PostgreSQL that is not there (port 9, discard) before any app module reads the config:
// whatever reaches the database fails with DatabaseUnavailableError, so an InvalidApiKeyError proves it did not.
process.env.DATABASE_URL = "postgres://app_runtime@127.0.0.1:9/unreachable";
delete process.env.MIGRATION_DATABASE_URL;

const { closeDb, DatabaseUnavailableError } = await import("@/lib/db");
const { InvalidApiKeyError, generateApiKey, verifyApiKey } = await import("@/lib/api-keys");

afterAll(closeDb);

describe("KEY-5: malformed keys are rejected before any database call", () => {
  const key = generateApiKey("test");
  it.each([
    ["missing header", null],
    ["empty", ""],
    ["truncated", `Bearer ${key.slice(0, -1)}`],
    ["other prefix", `Bearer ${key.replace("tg_test_", "sk_test_")}`],
    ["no scheme", key],
    ["wrong scheme", `Basic ${key}`],
    ["trailing data", `Bearer ${key} x`],
    ["oversized", `Bearer ${key}${"a".repeat(10_000)}`],
  ])("%s -> InvalidApiKeyError, not a database error", async (_name, header) => {
    await expect(verifyApiKey(header, "203.0.113.7")).rejects.toBeInstanceOf(InvalidApiKeyError);
  });

  it("a well-formed key does reach the database, and an outage is a 503, not an authentication failure", async () => {
    await expect(verifyApiKey(`Bearer ${key}`, "203.0.113.7")).rejects.toBeInstanceOf(DatabaseUnavailableError);
  });
});
