import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSensitiveKey, MASK, maskString, maskValue } from "@/lib/observability/pii";

/**
 * OBS-2: generated secrets (emails, Luhn-valid card numbers, phone numbers, API keys, bearer tokens, JWTs)
 * never survive masking, wherever they sit in a string or in a nested structure; secret-named keys are
 * redacted whatever their value; ordinary data (UUIDs, ISO dates, short numbers) is left alone.
 */

// ---- generators ----------------------------------------------------------------------------------------

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";
const ALNUM = LETTERS + DIGITS;
const BASE64URL = ALNUM + "-_";
const B64TOKEN = ALNUM + "-._~+/";
const PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
/** What surrounds a secret: letters, digits, whitespace, punctuation and a little non-ASCII. */
const GLUE = [...ALNUM, " ", " ", "\t", "\n", ...PUNCTUATION, "é", "ß", "中", "😀"];
/** Characters that end a national-format phone number (a number glued to letters or digits is an identifier). */
const DELIMITERS = [" ", "\t", "\n", ",", ";", ":", "(", ")", "[", "]", "<", ">", '"', "'", "=", "!", "?"];

const glue = fc.string({ unit: fc.constantFrom(...GLUE), maxLength: 24 });
const chars = (alphabet: string, minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength, maxLength });
const digits = (minLength: number, maxLength = minLength) => chars(DIGITS, minLength, maxLength);
const nonZero = fc.integer({ min: 1, max: 9 }).map(String);

/** A secret as it is written (`text`) and the substrings that must not survive (`needles`). */
interface Secret {
  kind: string;
  text: string;
  needles: string[];
}

function luhnCheckDigit(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    // Doubling starts with the rightmost payload digit, since the check digit is appended after it.
    let d = Number(payload[payload.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

const email: fc.Arbitrary<Secret> = fc.emailAddress().map((text) => ({ kind: "email", text, needles: [text] }));

const card: fc.Arbitrary<Secret> = fc
  .record({ length: fc.integer({ min: 13, max: 19 }), first: nonZero, rest: digits(17), separator: fc.constantFrom("", " ", "-") })
  .map(({ length, first, rest, separator }) => {
    const payload = first + rest.slice(0, length - 2);
    const number = payload + luhnCheckDigit(payload);
    const groups = length === 15 && separator !== "" ? [number.slice(0, 4), number.slice(4, 10), number.slice(10)] : number.match(/.{1,4}/g)!;
    const text = groups.join(separator);
    return { kind: "card", text, needles: [text, number] };
  });

/** The formatted tail holding the last 7 digits: a partly masked number must not leave it behind. */
function tailWithLastSevenDigits(text: string): string {
  let seen = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    if (/\d/.test(text[i]!) && ++seen === 7) return text.slice(i);
  }
  return text;
}

const phoneText = fc.oneof(
  // E.164
  fc.tuple(nonZero, digits(7, 14)).map(([first, rest]) => `+${first}${rest}`),
  // international with spaces or dashes, optionally an area code in parentheses
  fc
    .tuple(nonZero, digits(0, 2), fc.array(digits(2, 4), { minLength: 2, maxLength: 4 }), fc.constantFrom(" ", "-"))
    .filter(([, cc, groups]) => 1 + cc.length + groups.join("").length >= 7)
    .map(([first, cc, groups, sep]) => `+${first}${cc} ${groups.join(sep)}`),
  fc.tuple(nonZero, digits(3), digits(3), digits(4)).map(([cc, a, b, c]) => `+${cc} (${a}) ${b}-${c}`),
  // North American national formats
  fc
    .tuple(digits(3), digits(3), digits(4), fc.integer({ min: 0, max: 5 }))
    .map(([a, b, c, f]) => [`(${a}) ${b}-${c}`, `(${a})${b}-${c}`, `${a}-${b}-${c}`, `${a}.${b}.${c}`, `${a} ${b} ${c}`, `1-${a}-${b}-${c}`][f]!),
  // trunk-0 national formats: 020 7946 0958, 06 12 34 56 78, 030 12345678
  fc.tuple(nonZero, digits(0, 3), digits(6, 8), fc.boolean()).map(([a, area, sub, split]) => `0${a}${area} ${split ? `${sub.slice(0, 3)} ${sub.slice(3)}` : sub}`),
  fc.tuple(nonZero, fc.array(digits(2), { minLength: 4, maxLength: 4 })).map(([a, pairs]) => `0${a} ${pairs.join(" ")}`),
);
const phone: fc.Arbitrary<Secret> = fc
  .tuple(phoneText, fc.constantFrom(...DELIMITERS), fc.constantFrom(...DELIMITERS))
  .map(([text, before, after]) => ({ kind: "phone", text: `${before}${text}${after}`, needles: [text, tailWithLastSevenDigits(text)] }));

const apiKeyText = fc.oneof(
  fc.tuple(fc.constantFrom("tg_live_", "tg_test_"), chars(BASE64URL, 32, 64)).map(([p, k]) => p + k),
  fc.tuple(fc.constantFrom("sk_live_", "pk_live_", "sk_test_", "rk_live_"), chars(ALNUM, 24, 64)).map(([p, k]) => p + k),
  fc.tuple(fc.constantFrom("ghp_", "gho_", "ghs_"), chars(ALNUM, 36, 36)).map(([p, k]) => p + k),
  fc.tuple(fc.constantFrom("xoxb-", "xoxp-"), digits(10, 13), digits(10, 13), chars(ALNUM, 24, 32)).map(([p, a, b, c]) => `${p}${a}-${b}-${c}`),
);
const apiKey: fc.Arbitrary<Secret> = apiKeyText.map((text) => ({ kind: "api key", text, needles: [text] }));

const bearer: fc.Arbitrary<Secret> = fc
  .tuple(fc.constantFrom("Bearer", "bearer", "BEARER"), fc.constantFrom(" ", "  ", "\t"), chars(B64TOKEN, 20, 80), fc.constantFrom("", "=", "=="))
  .map(([scheme, space, token, padding]) => ({ kind: "bearer token", text: `${scheme}${space}${token}${padding}`, needles: [token] }));

const base64urlJson = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const jwt: fc.Arbitrary<Secret> = fc
  .record({
    alg: fc.constantFrom("HS256", "RS256", "ES256", "none"),
    claims: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean()), { minKeys: 1, maxKeys: 5 }),
    signature: chars(BASE64URL, 16, 86),
  })
  .map(({ alg, claims, signature }) => {
    const payload = base64urlJson(claims);
    const text = `${base64urlJson({ alg, typ: "JWT" })}.${payload}.${alg === "none" ? "" : signature}`;
    return { kind: "jwt", text, needles: [text, payload] };
  });

const anySecret = fc.oneof(email, card, phone, apiKey, bearer, jwt);

function expectGone(output: string, secret: Secret) {
  for (const needle of secret.needles) {
    if (output.includes(needle)) throw new Error(`${secret.kind} ${JSON.stringify(needle)} survived in ${JSON.stringify(output)}`);
  }
}

// ---- secrets inside strings ----------------------------------------------------------------------------

describe("maskString: no generated secret survives in any position of a string", () => {
  const cases: [string, fc.Arbitrary<Secret>][] = [
    ["email addresses", email],
    ["Luhn-valid card numbers, with and without separators", card],
    ["phone numbers (E.164 and national formats)", phone],
    ["API keys (ours and common providers')", apiKey],
    ["bearer tokens", bearer],
    ["JWTs", jwt],
  ];
  it.each(cases)("%s", (_name, secret) => {
    fc.assert(
      fc.property(glue, secret, glue, (prefix, s, suffix) => {
        expectGone(maskString(prefix + s.text + suffix), s);
      }),
      { numRuns: 400 },
    );
  });

  it("several secrets in one string are all masked", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(glue, anySecret), { minLength: 2, maxLength: 5 }), glue, (parts, tail) => {
        const output = maskString(parts.map(([g, s]) => g + s.text).join("") + tail);
        for (const [, s] of parts) expectGone(output, s);
      }),
    );
  });
});

// ---- secrets inside structures -------------------------------------------------------------------------

const filler = fc.anything({
  maxDepth: 2,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withBoxedValues: true,
  withDate: true,
  withTypedArray: true,
  withSparseArray: true,
  withBigInt: true,
});

type Step =
  | { kind: "object"; key: string; siblings: Record<string, unknown> }
  | { kind: "array"; before: unknown[]; after: unknown[] }
  | { kind: "map"; key: string; siblings: [string, unknown][] }
  | { kind: "set"; others: unknown[] };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("object" as const), key: fc.string({ maxLength: 10 }), siblings: fc.dictionary(fc.string({ maxLength: 8 }), filler, { maxKeys: 3 }) }),
  fc.record({ kind: fc.constant("array" as const), before: fc.array(filler, { maxLength: 3 }), after: fc.array(filler, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant("map" as const), key: fc.string({ maxLength: 10 }), siblings: fc.array(fc.tuple(fc.string({ maxLength: 8 }), filler), { maxLength: 3 }) }),
  fc.record({ kind: fc.constant("set" as const), others: fc.array(filler, { maxLength: 3 }) }),
);

/** Builds a structure with `text` planted at the end of `path`: as a value, as a key, or as a boxed String. */
function plant(text: string, placement: "value" | "key" | "boxed", path: Step[]): unknown {
  // A boxed String serialises like the string it wraps.
  let node: unknown = placement === "boxed" ? new String(text) : placement === "key" ? { [text]: 1 } : text;
  for (const s of [...path].reverse()) {
    if (s.kind === "object") {
      const o: Record<string, unknown> = { ...s.siblings };
      Object.defineProperty(o, s.key, { value: node, enumerable: true, writable: true, configurable: true });
      node = o;
    } else if (s.kind === "array") {
      node = [...s.before, node, ...s.after];
    } else if (s.kind === "map") {
      node = new Map<string, unknown>([...s.siblings.filter(([k]) => k !== s.key), [s.key, node]]);
    } else {
      node = new Set([...s.others, node]);
    }
  }
  return node;
}

/** Every string in a value, keys included, however it is nested. */
function allStrings(value: unknown, out: string[] = [], seen = new Set<object>()): string[] {
  if (typeof value === "string") out.push(value);
  if (value === null || typeof value !== "object" || seen.has(value)) return out;
  seen.add(value);
  if (value instanceof String) {
    out.push(value.valueOf());
  } else if (value instanceof Map) {
    for (const [k, v] of value) {
      allStrings(k, out, seen);
      allStrings(v, out, seen);
    }
  } else if (value instanceof Set || Array.isArray(value)) {
    for (const v of value) allStrings(v, out, seen);
  } else {
    for (const key of Object.keys(value)) {
      allStrings(key, out, seen);
      allStrings((value as Record<string, unknown>)[key], out, seen);
    }
  }
  return out;
}

describe("maskValue: no generated secret survives nested in objects, arrays, Maps and Sets", () => {
  it("at a random path, as a value, a key or a boxed String", () => {
    fc.assert(
      fc.property(
        glue,
        anySecret,
        glue,
        fc.constantFrom("value" as const, "key" as const, "boxed" as const),
        fc.array(step, { maxLength: 5 }),
        (prefix, secret, suffix, placement, path) => {
          const structure = plant(prefix + secret.text + suffix, placement, path);
          const output = maskValue(structure);
          for (const s of allStrings(output)) expectGone(s, secret);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("does not modify its input", () => {
    const input = { user: { email: "alice@acme.test" }, list: ["4111 1111 1111 1111"] };
    maskValue(input);
    expect(input).toEqual({ user: { email: "alice@acme.test" }, list: ["4111 1111 1111 1111"] });
  });

  it("handles cycles, shared references and Errors with causes", () => {
    const shared = { contact: "bob@globex.test" };
    const cyclic: Record<string, unknown> = { shared, again: shared };
    cyclic.self = cyclic;
    const error = new Error("charge failed for alice@acme.test", { cause: new Error("card 4111 1111 1111 1111 declined") });
    const output = maskValue({ cyclic, error }) as unknown as { cyclic: Record<string, unknown>; error: Record<string, unknown> };

    expect(output.cyclic.self).toBe("[Circular]");
    expect(output.cyclic.shared).toEqual({ contact: MASK.email });
    expect(output.cyclic.again).toEqual({ contact: MASK.email });
    expect(output.error.message).toBe(`charge failed for ${MASK.email}`);
    expect((output.error.cause as Record<string, unknown>).message).toBe(`card ${MASK.card} declined`);
    expect(JSON.stringify(output)).not.toMatch(/alice@acme|bob@globex|4111/);
  });
});

// ---- tables --------------------------------------------------------------------------------------------

describe("URLs keep scheme, host and path; the query goes", () => {
  it.each([
    ["https://app.example.com/projects?token=abc&x=1", "https://app.example.com/projects?[REDACTED]"],
    ["see https://app.example.com/reset?email=alice%40acme.test#top.", "see https://app.example.com/reset?[REDACTED]"],
    ["GET /api/v1/projects?cursor=abc123&limit=10 200", "GET /api/v1/projects?[REDACTED] 200"],
    ["redirect to /sign-in?next=%2Fprojects", "redirect to /sign-in?[REDACTED]"],
    ["postgres://app_runtime:s3cret@db.internal:5432/app?sslmode=require", "postgres://[REDACTED]@db.internal:5432/app?[REDACTED]"],
    ["https://app.example.com/callback#access_token=abc&state=1", "https://app.example.com/callback#[REDACTED]"],
    ['{"url":"https://api.partner.test/v1?api_key=k"}', '{"url":"https://api.partner.test/v1?[REDACTED]"}'],
  ])("%s", (input, expected) => {
    expect(maskString(input)).toBe(expected);
  });

  it.each(["https://app.example.com/projects/42", "https://app.example.com/docs#intro", "what is /etc/hosts?"])("%s stays as it is", (input) => {
    expect(maskString(input)).toBe(input);
  });
});

describe("secret-named keys are redacted whatever their value", () => {
  const keys = ["authorization", "Authorization", "proxy-authorization", "cookie", "Cookie", "set-cookie", "password", "newPassword", "secret", "client_secret", "webhookSecret", "token", "accessToken", "refresh_token", "api_key", "apiKey", "x-api-key", "X-API-Key", "stripe-signature", "tg_session", "__session"];
  const values: unknown[] = ["plain", "", 42, true, null, { nested: "object" }, ["array"]];

  it.each(keys)("%s", (key) => {
    for (const value of values) {
      expect(isSensitiveKey(key)).toBe(true);
      expect(maskValue({ outer: { [key]: value } })).toEqual({ outer: { [key]: MASK.redacted } });
      expect(maskValue(new Map([[key, value]]))).toEqual({ [key]: MASK.redacted });
    }
  });

  it("in Headers too", () => {
    const headers = new Headers({ authorization: "Bearer abc", cookie: "tg_session=xyz", "x-api-key": "k", "content-type": "application/json" });
    expect(maskValue({ headers })).toEqual({
      headers: { authorization: MASK.redacted, cookie: MASK.redacted, "x-api-key": MASK.redacted, "content-type": "application/json" },
    });
  });

  it.each(["id", "email", "name", "maxTokens", "keyId", "route", "requestId"])("%s is not a secret name", (key) => {
    expect(isSensitiveKey(key)).toBe(false);
  });

  it.each([
    ["password=hunter2&user=bob", "password=[REDACTED]&user=bob"],
    ['{"password":"hunter 2","token":12345,"user":"bob"}', '{"password":"[REDACTED]","token":[REDACTED],"user":"bob"}'],
    ["Cookie: tg_session=abc; theme=dark", "Cookie: [REDACTED]"],
    ["Authorization: Basic dXNlcjpwYXNzd29yZA==", "Authorization: [REDACTED]"],
    ["retrying with bearer abc.DEF-123_456", "retrying with bearer [KEY]"],
  ])("in text: %s", (input, expected) => {
    expect(maskString(input)).toBe(expected);
  });
});

describe("ordinary data is not masked", () => {
  it.each([
    "order 12345",
    "123e4567-e89b-12d3-a456-426614174000",
    "12345678-1234-1234-1234-123456789012",
    "2026-11-05",
    "2026-11-05T12:34:56.789Z",
    "2026-11-05T12:34:56+01:00",
    "2026-11-05 12:34:56",
    "HTTP 200 in 35 ms, 3 retries, 1024 bytes",
    "version 10.78.0 of @sentry/nextjs@10.78.0",
    "listening on 192.168.100.200:3000",
    "epoch 1731000000",
    "zero-padded id 00000000000000000042 and req-0000000000000001",
    "a bearer of bad news, basic information",
    "tg_live_abcd (key prefix)",
    "https://app.example.com/projects/42",
  ])("%s", (input) => {
    expect(maskString(input)).toBe(input);
  });

  it("UUIDs, ISO timestamps and short numbers, generated", () => {
    const iso = fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString());
    fc.assert(
      fc.property(fc.uuid(), iso, fc.integer({ min: 0, max: 999_999 }), (uuid, date, n) => {
        const text = `order ${n} ${uuid} at ${date} (${date.slice(0, 10)})`;
        expect(maskString(text)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it("boxed primitives are unboxed, and boxed strings masked", () => {
    expect(maskValue({ s: new String("alice@acme.test"), n: new Number(7), b: new Boolean(true) })).toEqual({ s: MASK.email, n: 7, b: true });
  });

  it("non-string values keep their type", () => {
    const date = new Date("2026-11-05T00:00:00Z");
    expect(maskValue({ n: 12345, b: false, nil: null, date, big: 10n })).toEqual({ n: 12345, b: false, nil: null, date, big: 10n });
  });
});

describe("robustness", () => {
  // Each input stresses one pattern with 100 kB of near-misses; a backtracking regex would not finish.
  const N = 100_000;
  const repeat = (s: string) => s.repeat(Math.ceil(N / s.length)).slice(0, N);
  it.each(["a", "1", "1 ", "12-", "eyJ", "eyJa.", "a@", "a@b.", "a://", "/a(", "password=", "token_", "a: ", "bearer ", "basic QQ== ", "+1 ", "06 1", "(415) ", "12345678-1234-", "tg_live_", '"secret":"', "a.b-c+d"])(
    "100 kB of %j is masked",
    (unit) => {
      const output = maskString(repeat(unit));
      expect(typeof output).toBe("string");
      expect(output.length).toBeGreaterThan(0);
    },
  );

  it("100 kB of mixed secrets is masked completely", () => {
    const secrets = fc.sample(anySecret, { numRuns: 2_000, seed: 42 });
    const text = secrets.map((s) => s.text).join(" | ").slice(0, N);
    const output = maskString(text);
    for (const s of secrets) if (text.includes(s.text)) expectGone(output, s);
  });

  it("deeply nested structures are cut off rather than overflowing the stack", () => {
    let deep: unknown = "alice@acme.test";
    for (let i = 0; i < 10_000; i++) deep = { next: deep };
    expect(JSON.stringify(maskValue(deep))).not.toContain("alice@acme.test");
  });
});
