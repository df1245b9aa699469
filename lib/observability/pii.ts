import { isSensitiveKey, MASK, maskString } from "./pii-text";

/**
 * OBS-2: masking of personal data and secrets before anything leaves the process, used by the logger
 * (lib/observability/logger.ts) and by Sentry's scrubbers (lib/observability/sentry-options.ts).
 *
 * maskString (./pii-text.ts) masks emails, phone numbers, card numbers, API keys, bearer tokens, JWTs and URL
 * query strings in text. maskValue walks objects, arrays, Maps, Sets, Headers and Errors, redacts
 * secret-named keys whatever their value (isSensitiveKey), masks every string (keys included) and returns a
 * masked copy; the input is never changed. Cycles become "[Circular]", nesting deeper than MAX_DEPTH
 * "[Truncated]".
 */

export { isSensitiveKey, MASK, maskString };

const MAX_DEPTH = 32;

/**
 * Trace and event ids (hex) must survive unchanged: Sentry rejects an event whose ids were rewritten, and a
 * 32-hex id can contain a Luhn-valid run of digits.
 */
const ID_KEYS = new Set(["event_id", "trace_id", "span_id", "parent_span_id", "segment_id", "debug_id", "profile_id", "replay_id", "traceId", "spanId", "parentSpanId"]);
const HEX_ID = /^[0-9a-fA-F-]{8,64}$/;

interface Walk {
  ancestors: Set<object>;
  done: WeakMap<object, unknown>;
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown) {
  // defineProperty, not assignment: a "__proto__" key must stay data, never become the prototype.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function maskEntry(target: Record<string, unknown>, key: string, value: unknown, depth: number, walk: Walk) {
  let masked: unknown;
  if (isSensitiveKey(key)) masked = MASK.redacted;
  else if (ID_KEYS.has(key) && typeof value === "string" && HEX_ID.test(value)) masked = value;
  else masked = maskAny(value, depth + 1, walk);
  setOwn(target, maskString(key), masked);
}

function readProperty(source: object, key: string): unknown {
  try {
    return (source as Record<string, unknown>)[key];
  } catch {
    return "[Unreadable]";
  }
}

function keyName(key: unknown): string {
  try {
    return String(key);
  } catch {
    return "[object]"; // e.g. a null-prototype object used as a Map key
  }
}

function maskError(error: Error, depth: number, walk: Walk): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: error.constructor?.name || error.name || "Error",
    message: maskString(String(error.message ?? "")),
  };
  if (typeof error.stack === "string") out.stack = maskString(error.stack);
  for (const key of Object.keys(error)) {
    if (key !== "message" && key !== "stack") maskEntry(out, key, readProperty(error, key), depth, walk);
  }
  // `cause` and AggregateError's `errors` are own but not enumerable.
  if ("cause" in error && error.cause !== undefined) out.cause = maskAny(error.cause, depth + 1, walk);
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested) && !("errors" in out)) out.errors = maskAny(nested, depth + 1, walk);
  return out;
}

function maskObject(value: object, depth: number, walk: Walk): unknown {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(maskAny(value[i], depth + 1, walk));
    return out;
  }
  if (value instanceof Error) return maskError(value, depth, walk);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) maskEntry(out, typeof k === "string" ? k : keyName(k), v, depth, walk);
    return out;
  }
  if (value instanceof Set) return Array.from(value, (v) => maskAny(v, depth + 1, walk));
  if (typeof Headers !== "undefined" && value instanceof Headers) {
    const out: Record<string, unknown> = {};
    value.forEach((v, k) => maskEntry(out, k, v, depth, walk));
    return out;
  }
  const prototype = Object.getPrototypeOf(value);
  const plain = prototype === Object.prototype || prototype === null;
  const toJSON = plain ? undefined : (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    try {
      return maskAny(toJSON.call(value), depth + 1, walk);
    } catch {
      return "[Unserializable]";
    }
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) maskEntry(out, key, readProperty(value, key), depth, walk);
  return out;
}

function maskAny(value: unknown, depth: number, walk: Walk): unknown {
  if (typeof value === "string") return maskString(value);
  if (value === null || typeof value !== "object") return value;
  if (value instanceof String) return maskString(value.valueOf());
  if (value instanceof Number || value instanceof Boolean) return value.valueOf();
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof URL) return maskString(value.href);
  if (value instanceof RegExp) return value.toString();
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[Binary ${value.byteLength} bytes]`;
  if (walk.done.has(value)) return walk.done.get(value);
  if (walk.ancestors.has(value)) return "[Circular]";
  if (depth >= MAX_DEPTH) return "[Truncated]";
  walk.ancestors.add(value);
  try {
    const masked = maskObject(value, depth, walk);
    walk.done.set(value, masked);
    return masked;
  } finally {
    walk.ancestors.delete(value);
  }
}

/**
 * A masked deep copy of `value`: strings through maskString, secret-named keys redacted, Errors as
 * `{ type, message, stack, ...}`, Maps as objects, Sets as arrays, Headers as objects, binary as a size.
 * The JSON shape of plain data is preserved; the input is not modified.
 */
export function maskValue<T>(value: T): T {
  return maskAny(value, 0, { ancestors: new Set(), done: new WeakMap() }) as T;
}
