import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  API_KEY_ENTROPY_BITS,
  apiKeyPrefix,
  generateApiKey,
  hashApiKey,
  looksLikeApiKey,
  parseBearerApiKey,
} from "@/lib/api-keys/key-format";
import { ipAllowed, parseCidr } from "@/lib/api-keys/ip-allowlist";
import { createApiKeySchema, rollApiKeySchema } from "@/lib/api-keys/schemas";

describe("KEY-1: key format", () => {
  it("tg_live_/tg_test_ + 43 base62 characters, with a 12-character non-secret prefix", () => {
    const live = generateApiKey("live");
    const test = generateApiKey("test");
    expect(live).toMatch(/^tg_live_[0-9A-Za-z]{43}$/);
    expect(test).toMatch(/^tg_test_[0-9A-Za-z]{43}$/);
    expect(apiKeyPrefix(live)).toBe(live.slice(0, 12));
    expect(looksLikeApiKey(live) && looksLikeApiKey(test)).toBe(true);
    // 43 base62 digits hold the 256 random bits: 62^43 >= 2^256.
    expect(API_KEY_ENTROPY_BITS).toBe(256);
    expect(43 * Math.log2(62)).toBeGreaterThanOrEqual(256);
  });

  it("keys are unique and every base62 character occurs (the randomness reaches the whole secret)", () => {
    const keys = Array.from({ length: 2000 }, () => generateApiKey("test"));
    expect(new Set(keys).size).toBe(keys.length);
    const seen = new Set(keys.flatMap((k) => [...k.slice(8)]));
    expect(seen.size).toBe(62);
    // The secret's last characters vary too (a short random source padded with a constant would not).
    expect(new Set(keys.map((k) => k.slice(-6))).size).toBe(keys.length);
  });

  it("hashApiKey is SHA-256 hex of the full key", () => {
    const key = generateApiKey("live");
    expect(hashApiKey(key)).toBe(createHash("sha256").update(key).digest("hex"));
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("KEY-5: strict Bearer parsing", () => {
  const key = generateApiKey("test");
  it.each([
    [`Bearer ${key}`, key],
    [`bearer ${key}`, key],
    [`BEARER ${key}`, key],
    [`Bearer ${key.slice(0, -1)}`, null],
    [`Bearer ${key}x`, null],
    [`Bearer  ${key}`, null],
    [` Bearer ${key}`, null],
    [`Bearer ${key} `, null],
    [`Bearer\t${key}`, null],
    [`Basic ${key}`, null],
    [`Token ${key}`, null],
    [`Bearer ${key.replace("tg_test_", "tg_prod_")}`, null],
    [`Bearer ${key.replace("tg_test_", "sk_test_")}`, null],
    [`Bearer ${key.slice(8)}`, null],
    [`Bearer ${key.slice(0, 20)}-${key.slice(21)}`, null],
    [key, null],
    ["Bearer", null],
    ["", null],
  ])("%j -> %j", (header, expected) => {
    expect(parseBearerApiKey(header)).toBe(expected);
  });

  it("accepts nothing but a well-formed key (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const parsed = parseBearerApiKey(s);
        return parsed === null || (looksLikeApiKey(parsed) && s.toLowerCase() === `bearer ${parsed.toLowerCase()}`);
      }),
      { numRuns: 2000 },
    );
    // Any one-character insertion, deletion or foreign-character replacement of a real key is refused.
    const foreign = fc.constantFrom("-", "_", " ", "\t", "=", "+", "/", ".", "é", "\u0000", "\n");
    fc.assert(
      fc.property(fc.nat({ max: 50 }), foreign, (at, ch) => {
        const k = generateApiKey("live");
        const variants = [k.slice(0, at) + ch + k.slice(at), k.slice(0, at) + k.slice(at + 1), k.slice(0, at) + ch + k.slice(at + 1)];
        return variants.every((v) => v === k || parseBearerApiKey(`Bearer ${v}`) === null);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("IP allow-list", () => {
  it.each([
    ["10.0.0.1", "10.0.0.1/32"],
    ["10.1.2.3/16", "10.1.0.0/16"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["2001:DB8::1/32", "2001:db8::/32"],
    ["::1", "::1/128"],
  ])("%s normalises to %s", (input, cidr) => {
    expect(parseCidr(input)).toEqual({ ok: true, cidr });
  });

  it.each(["", "10.0.0.0/33", "2001:db8::/129", "010.0.0.1", "127.1", "0x7f.0.0.1", "10.0.0.0/08", "10.0.0.0/8/8", "fe80::1%eth0", "::ffff:10.0.0.1", "example.com", "10.0.0.0/-1"])(
    "%j is refused",
    (input) => {
      expect(parseCidr(input)).toMatchObject({ ok: false });
    },
  );

  it("matches IPv4, IPv4-mapped IPv6 and IPv6 addresses against the right family only", () => {
    const list = ["10.1.0.0/16", "2001:db8::/32"];
    expect(["10.1.9.9", "::ffff:10.1.0.1", "2001:db8:1::1"].every((ip) => ipAllowed(ip, list))).toBe(true);
    expect(["10.2.0.1", "2001:db9::1", "::a01:1", "010.1.0.1", "", "nonsense"].some((ip) => ipAllowed(ip, list))).toBe(false);
    expect(ipAllowed(null, list)).toBe(false);
  });
});

describe("VAL-1: action schemas", () => {
  it("create: trims the name, maps permissions and scope, normalises the allow-list", () => {
    const parsed = createApiKeySchema.parse({ name: "  CI  ", permissions: "read_write", projectId: "org", ipAllowlist: "10.0.0.9/8\n10.0.0.0/8, ::1" });
    expect(parsed).toEqual({ name: "CI", permissions: ["read", "write"], projectId: null, expiresAt: null, ipAllowlist: ["10.0.0.0/8", "::1/128"] });
  });

  it("create: expiry must be in the future and within a year; a date means 00:00 UTC", () => {
    const day = 86_400_000;
    const tomorrow = new Date(Date.now() + 2 * day).toISOString().slice(0, 10);
    expect(createApiKeySchema.parse({ name: "x", permissions: "read", expiresAt: tomorrow }).expiresAt).toEqual(new Date(`${tomorrow}T00:00:00.000Z`));
    for (const expiresAt of [new Date(Date.now() - 1000).toISOString(), new Date(Date.now() + 366 * day).toISOString(), "31/01/2027", "soon"]) {
      expect(createApiKeySchema.safeParse({ name: "x", permissions: "read", expiresAt }).success, expiresAt).toBe(false);
    }
  });

  it("roll: grace from 0 to 7 days; missing or blank is an error, not zero", () => {
    expect(rollApiKeySchema.parse({ id: crypto.randomUUID(), graceSeconds: "3600" }).graceSeconds).toBe(3600);
    for (const graceSeconds of [undefined, null, "", "-1", 604_801, 1.5, "1h"]) {
      expect(rollApiKeySchema.safeParse({ id: crypto.randomUUID(), graceSeconds }).success, String(graceSeconds)).toBe(false);
    }
  });
});
