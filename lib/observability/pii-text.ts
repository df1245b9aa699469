/**
 * OBS-2, text: the patterns behind maskString. Import from lib/observability/pii.ts, the public entry.
 *
 * `maskString` replaces, in this order: URL credentials, `Bearer` tokens, JWTs, `Basic` credentials, known
 * API-key shapes, values of secret-named `key=value` / `"key": "value"` pairs, email addresses, payment card
 * numbers (Luhn), phone numbers, and last URL query strings (dropping a query first could cut a secret in two).
 *
 * Robustness: no pattern can backtrack catastrophically. Every pattern starts with a literal, or with a
 * character class guarded by a negative lookbehind of the same class (only the start of a run is tried), or
 * has a bounded prefix (an email's local part, at most 64 characters); none nests ambiguous quantifiers, and
 * digit runs are checked for Luhn windows in linear time outside the regex engine. 100 kB of adversarial
 * input takes tens of milliseconds.
 *
 * Over-masking is preferred to leaking: a digit run containing a Luhn-valid 13-19 digit window is masked as
 * a card even if it was an id. UUIDs and ISO-8601 date-times are never read as cards or phone numbers;
 * national phone formats must stand apart from letters and digits (glued to them, they are identifiers).
 */

export const MASK = {
  redacted: "[REDACTED]",
  email: "[EMAIL]",
  phone: "[PHONE]",
  card: "[CARD]",
  key: "[KEY]",
  jwt: "[JWT]",
} as const;

// ---- keys whose value is always redacted ---------------------------------------------------------------

/** Normalised (lower case, letters and digits only) key endings that name a credential. */
const SENSITIVE_KEY_SUFFIXES = [
  "authorization", // authorization, proxy-authorization
  "cookie", // cookie, set-cookie
  "cookies",
  "password", // password, dbPassword, new_password
  "passwd",
  "passphrase",
  "secret", // secret, client_secret, webhookSecret
  "token", // token, access_token, refreshToken, csrf-token, x-auth-token
  "apikey", // api_key, apiKey, x-api-key
  "accesskey",
  "secretkey", // CLERK_SECRET_KEY
  "privatekey", // IDP_PRIVATE_KEY
  "signingkey",
  "encryptionkey",
  "credential",
  "credentials",
  "signature", // stripe-signature, svix-signature, mux-signature: replayable within their tolerance
  "sessionid",
];
const SENSITIVE_KEYS_EXACT = new Set(["pwd", "pass", "jwt", "bearer"]);
/** Session cookie names (ours, Clerk's), matched on the raw key. */
const SESSION_COOKIE_KEY = /^(?:tg_session|__session(?:_\w+)?|__clerk_db_jwt|__refresh(?:_\w+)?)$/i;

/** True when a key names a credential: its value is replaced by "[REDACTED]" whatever it is. */
export function isSensitiveKey(key: string): boolean {
  if (SESSION_COOKIE_KEY.test(key)) return true;
  const normalised = key.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (normalised === "") return false;
  if (SENSITIVE_KEYS_EXACT.has(normalised)) return true;
  return SENSITIVE_KEY_SUFFIXES.some((suffix) => normalised.endsWith(suffix));
}

/** Keys whose value stays a credential to the end of the line when written as a header (`Cookie: a=1; b=2`). */
function isHeaderLikeKey(key: string): boolean {
  return /^(?:proxy-)?authorization$|^(?:set-)?cookie$/i.test(key);
}

// ---- string patterns -----------------------------------------------------------------------------------

/** `scheme://user:password@`: the credentials go, the host stays. */
const URL_CREDENTIALS = /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/)[^\s/?#@"'<>\\`]+@/g;
/** Absolute URLs: the query (and a fragment carrying parameters) is replaced. */
const ABSOLUTE_URL = /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/[^\s"'<>\\`]*/g;
/** Path-only URLs with a query, e.g. `GET /api/v1/projects?cursor=...`. */
const PATH_CHARS = "A-Za-z0-9._~%!$&*+,;=:@/-";
const RELATIVE_URL = new RegExp(`(?<![${PATH_CHARS}])\\/[${PATH_CHARS}]*\\?[^\\s"'<>\\\\\`]*`, "g");

/** A JWT (or JWE): base64url segments separated by dots, starting with `eyJ` (`{"`). Checked in the callback. */
const JWT = /eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)*/g;

/** API keys with a recognisable prefix: ours first, then common providers'. */
const KNOWN_KEYS = new RegExp(
  [
    "tg_(?:live|test)_[A-Za-z0-9_-]{20,}", // KEY-1: ours (tg_live_/tg_test_ + base62/base64url)
    "tgi_[A-Za-z0-9_-]{43}", // TEN-3: ours, member invite links (/invite/tgi_...)
    "(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{8,}", // Stripe, Clerk
    "whsec_[A-Za-z0-9+/=]{16,}", // Stripe / Svix webhook secrets
    "gh[pousr]_[A-Za-z0-9]{20,}", // GitHub tokens
    "github_pat_[A-Za-z0-9_]{20,}",
    "xox[abeoprs]-[A-Za-z0-9-]{10,}", // Slack
    "xapp-[A-Za-z0-9-]{10,}",
    "glpat-[A-Za-z0-9_-]{20,}", // GitLab
    "npm_[A-Za-z0-9]{36}",
    "AKIA[0-9A-Z]{16}", // AWS access key id
    "AIza[0-9A-Za-z_-]{35}", // Google API key
    "(?<![A-Za-z0-9])sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}", // OpenAI / Anthropic
  ].join("|"),
  "g",
);

/**
 * `Bearer <token>` (RFC 6750 b64token); the scheme is matched anywhere so a glued prefix cannot hide it, and a
 * token ends where another "bearer " starts (`...tokenBearer next`), so the next one is masked as well.
 */
const BEARER = /(bearer)(\s+)((?:(?!bearer\s)[A-Za-z0-9._~+/-])+=*)/gi;
/** `Basic <base64(user:password)>`: masked only when the token really decodes to `user:password`. */
const BASIC = /(basic)(\s+)([A-Za-z0-9+/]{4,}={0,2})/gi;

/** `key=value`, `key: value`, `"key":"value"`, `\"key\":\"value\"`: the key is checked with isSensitiveKey. */
const KEY_VALUE = /(?<![A-Za-z0-9_.-])([A-Za-z_][A-Za-z0-9_.-]{0,63})(\\?["']?[ \t]*[:=][ \t]*)(\\?["']?)/g;
const VALUE_END = /[\s"'&,;)}\]<>]/g;
const LINE_OR_QUOTE_END = /[\r\n"']/g;

/**
 * Email addresses, including internationalised ones. The domain must contain a letter (not `pkg@1.2.3`).
 * The local part is bounded by its RFC 5321 maximum (64), which keeps the scan linear without a lookbehind,
 * so an address glued to the previous one is still found. It may be empty (`a/@x.com`, or a part already
 * masked) so the domain is not left behind, except after "]": `postgres://[REDACTED]@db.internal` keeps its host.
 */
const EMAIL_LOCAL = "\\p{L}\\p{N}._%+'!#$*^`{|}~\\-";
const EMAIL = new RegExp(`(?:[${EMAIL_LOCAL}]{1,64}|(?<!\\]))@([\\p{L}\\p{N}-]+(?:\\.[\\p{L}\\p{N}-]+)+)`, "gu");

/**
 * UUIDs and ISO-8601 date-times: never read as card or phone numbers. (A bare date cannot look like either on
 * its own, and protecting `2026-11-05` would shield a phone written `+1 2026-11-05`.)
 */
const PROTECTED_NUMBERS = new RegExp(
  [
    "(?<![0-9A-Za-z_@.+-])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Za-z_@-])",
    "(?<![0-9A-Za-z_+-])\\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])[T ](?:[01]\\d|2[0-3]):[0-5]\\d(?::[0-5]\\d(?:[.,]\\d{1,9})?)?(?:Z|[+-]\\d{2}(?::?\\d{2})?)?(?![0-9A-Za-z_-])",
  ].join("|"),
  "g",
);

/** A run of 13 or more digits, optionally separated by single spaces or dashes (card candidates). */
const DIGIT_RUN = /(?<!\d)\d(?:[ -]?\d){12,}/g;
/** International numbers: `+` then at least 7 digits, with spaces, dots, dashes or parentheses. */
const INTERNATIONAL_PHONE = /\+[ (]*\d(?:[ .()-]{0,2}\d){6,}/g;
/** North American national formats: (415) 555-2671, 415-555-2671, 415.555.2671, 1 415 555 2671. */
const NANP_PHONE = /(?<![\w+])(?:1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?!\w)/g;
/** National formats with a trunk 0 (020 7946 0958, 06 12 34 56 78, 030 12345678) or a 00 international prefix. */
const TRUNK_PHONE = /(?<![\w+.])\(?0(?:0?[1-9])\d{0,3}\)?(?:[ -]?\d){6,11}(?!\w)/g;

// ---- string masking ------------------------------------------------------------------------------------

function maskAbsoluteUrl(url: string): string {
  const authorityStart = url.indexOf("://") + 3;
  const afterScheme = url.slice(authorityStart);
  const authorityLength = afterScheme.search(/[/?#]/);
  const head = url.slice(0, authorityStart) + (authorityLength < 0 ? afterScheme : afterScheme.slice(0, authorityLength));
  const rest = authorityLength < 0 ? "" : afterScheme.slice(authorityLength);
  const cut = rest.search(/[?#]/);
  if (cut < 0) return head + rest;
  const path = rest.slice(0, cut);
  const tail = rest.slice(cut);
  if (tail.startsWith("?")) return tail.length > 1 ? `${head}${path}?${MASK.redacted}` : head + rest;
  // A fragment can carry tokens too (OAuth implicit flow: #access_token=...).
  return tail.includes("=") ? `${head}${path}#${MASK.redacted}` : head + rest;
}

function maskRelativeUrl(url: string): string {
  const q = url.indexOf("?");
  return q === url.length - 1 ? url : `${url.slice(0, q)}?${MASK.redacted}`;
}

function maskJwt(candidate: string): string {
  const segments = candidate.split(".");
  return segments.length >= 3 && segments[1] !== "" ? MASK.jwt : candidate;
}

function maskBearer(match: string, scheme: string, space: string, token: string): string {
  // "bearer of bad news" stays; anything shaped like a credential goes.
  const credentialLike = token.length >= 16 || (token.length >= 8 && /[^A-Za-z]/.test(token));
  return credentialLike ? `${scheme}${space}${MASK.key}` : match;
}

function maskBasic(match: string, scheme: string, space: string, token: string): string {
  try {
    return atob(token).includes(":") ? `${scheme}${space}${MASK.key}` : match;
  } catch {
    return match;
  }
}

function endOf(s: string, from: number, terminators: RegExp): number {
  terminators.lastIndex = from;
  const found = terminators.exec(s);
  return found ? found.index : s.length;
}

function maskKeyValues(s: string): string {
  let out = "";
  let copied = 0;
  KEY_VALUE.lastIndex = 0;
  for (let m = KEY_VALUE.exec(s); m !== null; m = KEY_VALUE.exec(s)) {
    const [whole, key = "", , open = ""] = m;
    if (!isSensitiveKey(key)) continue;
    const valueStart = m.index + whole.length;
    let valueEnd: number;
    if (open.length === 2) {
      valueEnd = s.indexOf("\\", valueStart); // an escaped quote closes it: \"value\"
      if (valueEnd < 0) valueEnd = s.length;
    } else if (open.length === 1) {
      valueEnd = endOf(s, valueStart, LINE_OR_QUOTE_END);
    } else {
      valueEnd = endOf(s, valueStart, isHeaderLikeKey(key) ? LINE_OR_QUOTE_END : VALUE_END);
    }
    if (valueEnd === valueStart) continue;
    out += s.slice(copied, valueStart) + MASK.redacted;
    copied = valueEnd;
    KEY_VALUE.lastIndex = valueEnd;
  }
  return copied === 0 ? s : out + s.slice(copied);
}

function maskEmail(match: string, domain: string): string {
  return /\p{L}/u.test(domain) ? MASK.email : match;
}

/** Luhn check of digits[start, start + length). */
function luhnValid(digits: string, start: number, length: number): boolean {
  let sum = 0;
  let double = false;
  for (let i = start + length - 1; i >= start; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * True when any 13-19 digit window of the run is Luhn-valid: a card glued to other digits is still found.
 * Windows starting with 0 are skipped: no card number does (ISO/IEC 7812), and zero padding is Luhn-valid.
 */
function containsCardNumber(run: string): boolean {
  const digits = run.replace(/[^0-9]/g, "");
  for (let start = 0; start + 13 <= digits.length; start++) {
    if (digits[start] === "0") continue;
    for (let length = 13; length <= 19 && start + length <= digits.length; length++) {
      if (luhnValid(digits, start, length)) return true;
    }
  }
  return false;
}

function maskNumbers(text: string): string {
  return text
    .replace(DIGIT_RUN, (run) => (containsCardNumber(run) ? MASK.card : run))
    .replace(INTERNATIONAL_PHONE, MASK.phone)
    .replace(NANP_PHONE, MASK.phone)
    .replace(TRUNK_PHONE, MASK.phone);
}

/** Applies the number masks to the text between UUIDs and ISO dates, leaving those untouched. */
function maskNumbersOutsideProtected(s: string): string {
  if (!/\d/.test(s)) return s;
  let out = "";
  let copied = 0;
  PROTECTED_NUMBERS.lastIndex = 0;
  for (let m = PROTECTED_NUMBERS.exec(s); m !== null; m = PROTECTED_NUMBERS.exec(s)) {
    out += maskNumbers(s.slice(copied, m.index)) + m[0];
    copied = m.index + m[0].length;
  }
  return out + maskNumbers(s.slice(copied));
}

/** Masks emails, phone numbers, card numbers, API keys, bearer tokens, JWTs and URL query strings in a string. */
export function maskString(input: string): string {
  if (input === "") return input;
  let s = input.replace(URL_CREDENTIALS, `$1${MASK.redacted}@`);
  // Bearer first: a JWT segment or a key class like Slack's would otherwise swallow a glued "Bearer" scheme.
  s = s.replace(BEARER, maskBearer).replace(JWT, maskJwt).replace(BASIC, maskBasic).replace(KNOWN_KEYS, MASK.key);
  s = maskKeyValues(s);
  s = s.replace(EMAIL, maskEmail);
  s = maskNumbersOutsideProtected(s);
  // Query strings last: dropping one first could cut a secret that straddles its end (`?x=+1 415 555 2671`)
  // and leave the rest unrecognisable.
  return s.replace(ABSOLUTE_URL, maskAbsoluteUrl).replace(RELATIVE_URL, maskRelativeUrl);
}
