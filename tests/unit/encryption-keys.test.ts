import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { parseEnv } from "@/lib/env";
import { developmentKeyring, parseEncryptionKeys } from "@/lib/crypto/keyring";
import { PRODUCTION_ENV } from "../helpers/production-env";

/** ENC-1 / ENC-3: ENCRYPTION_KEYS parsing, the development key, and production's refusals. */

const k = (byte: number) => Buffer.alloc(32, byte).toString("base64");

describe("ENCRYPTION_KEYS", () => {
  it("parses versioned keys and the active one, and never shows key material", () => {
    const env = parseEnv({ ENCRYPTION_KEYS: `k2:${k(2)},k1:${k(1)};active=k2` });
    expect(env.encryptionKeys.active).toBe("k2");
    expect(env.encryptionKeys.ids).toEqual(["k2", "k1"]);
    expect(env.encryptionKeys.material("k1")).toEqual(Buffer.alloc(32, 1));
    for (const shown of [JSON.stringify(env), inspect(env, { depth: 5 }), String(Object.keys(env))]) {
      expect(shown).not.toContain(k(2));
      expect(shown).not.toContain(k(1));
    }
    expect("ENCRYPTION_KEYS" in env).toBe(false);
  });

  it.each([
    ["a key that is not 32 bytes", `k1:${Buffer.alloc(16).toString("base64")}`, /key "k1" must be 32 bytes/],
    ["several keys without an active one", `k1:${k(1)},k2:${k(2)}`, /name the active one/],
    ["an active key that is not listed", `k1:${k(1)};active=k9`, /the active key "k9" is not listed/],
    ["a malformed entry", "no-colon-here", /each entry is <id>:<base64 key>/],
    ["a key listed twice", `k1:${k(1)},k1:${k(2)};active=k1`, /listed twice/],
  ])("rejects %s, naming the key id but not its material", (_what, value, message) => {
    const parsed = parseEncryptionKeys(value);
    expect(parsed.keyring).toBeUndefined();
    expect(parsed.problems.join("\n")).toMatch(message);
    expect(parsed.problems.join("\n")).not.toContain(k(2));
  });

  it("development and tests run on the development key with no configuration", () => {
    const env = parseEnv({ NODE_ENV: "development" });
    expect(env.encryptionKeys.development).toBe(true);
    expect(env.encryptionKeys.material("dev")).toEqual(developmentKeyring().material("dev"));
  });

  it("production refuses to start without ENCRYPTION_KEYS, and with the public development key", () => {
    const { ENCRYPTION_KEYS: _omitted, ...withoutKeys } = PRODUCTION_ENV;
    void _omitted;
    expect(() => parseEnv(withoutKeys)).toThrow(/ENC-1: ENCRYPTION_KEYS is required in production/);
    const dev = developmentKeyring().material("dev")!.toString("base64");
    expect(() => parseEnv({ ...PRODUCTION_ENV, ENCRYPTION_KEYS: `prod:${dev}` })).toThrow(/contains the public development key/);
    expect(parseEnv(PRODUCTION_ENV).encryptionKeys.ids).toEqual(["prod1"]);
  });

  it("provider stand-in URLs are for tests only: loopback, never production", () => {
    expect(() => parseEnv({ ...PRODUCTION_ENV, NYLAS_API_URL: "http://127.0.0.1:9000" })).toThrow(/NYLAS_API_URL points integration tests at a stand-in/);
    expect(() => parseEnv({ NODE_ENV: "test", DUB_API_URL: "https://api.example.com" })).toThrow(/DUB_API_URL/);
  });
});

describe("scripts/keys.ts", () => {
  it("parses rotate, retire and check, and draws a bar on a terminal and lines otherwise", async () => {
    const { parseArgs, progressLine, UsageError } = await import("@/scripts/keys");
    expect(parseArgs(["rotate", "--reencrypt", "--batch-size", "50", "--org", "org_a1"])).toMatchObject({ command: "rotate", reencrypt: true, batchSize: 50, orgIds: ["org_a1"] });
    expect(parseArgs(["retire", "k2026a"])).toMatchObject({ command: "retire", kekId: "k2026a" });
    expect(() => parseArgs(["retire"])).toThrow(UsageError);
    expect(() => parseArgs(["rotate", "--batch-size", "x"])).toThrow(/--batch-size needs a whole number/);
    expect(progressLine("rewrap", 5, 10, false)).toBe("rewrap: 5/10 (50%)\n");
    expect(progressLine("rewrap", 5, 10, true)).toBe(`\rrewrap [${"#".repeat(15)}${".".repeat(15)}] 50% 5/10`);
  });
});
