import fc from "fast-check";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb } from "@/lib/db";
import { createProject } from "@/lib/projects";
import { API_ROUTES, ERROR_CATALOGUE, type ApiRouteSpec } from "@/lib/api/openapi";
import { documentPage, documentSchema, downloadUrlSchema, problemSchema, projectPage, projectSchema, uploadedDocumentSchema } from "@/lib/api/schemas";
import { orgWithMembers, putOnPlan, request } from "../helpers/tenants";
import { callApi, newKey } from "../helpers/api";

/**
 * VAL-1, VAL-2, VAL-3 as properties, over every operation in API_ROUTES (method + path), through the real route
 * handlers with real Request objects (tests/helpers/api.ts):
 *
 *   random JSON bodies (any JSON value, objects, extra keys, wrong types, arrays, control characters, lone
 *   surrogates, names near and over 100 characters, bodies near and over the 64 KiB limit), raw non-JSON bodies,
 *   lying Content-Length, random query strings (random keys, limit=-1/1e9/NaN/..., cursor garbage and well-formed
 *   cursors holding odd timestamps, repeated parameters, unicode), random path ids (non-uuid, a uuid of nothing,
 *   a uuid of another org's project or document, this org's own), read-write and read-only keys, and random
 *   Authorization headers from random client IPs.
 *
 * Invariants, for every response:
 *   - the status is 2xx or 4xx, never 3xx or 5xx;
 *   - a 2xx body has the documented shape (and nothing more);
 *   - a 4xx body is application/problem+json with exactly the Problem fields, a catalogued `code` whose status
 *     is the response's status, and no stack trace, SQL, driver message or file path;
 *   - a rejected write (any status >= 400) changes nothing: the org's projects, its audit entries and its
 *     idempotency records (read as the tables' owner) are the same before and after, and so is the other org's
 *     data. The one permitted addition is the TEN-4 `security.cross_tenant_access` event for a 404 on another
 *     org's project id. An accepted write changes exactly the one project it names and appends one audit entry.
 *   - expected outcomes where they are certain: a read-only key never writes (403), a malformed id is 404, an id
 *     of nothing or of another org never answers 2xx; random Authorization headers answer 401 (or 429).
 *
 * fast-check prints the seed and the shrunk counterexample of a failure; rerun it with `seed` in fc.assert.
 */

afterAll(closeDb);

const RUNS_PER_ENDPOINT = 30;
const AUTH_RUNS = 60;
const BODY_LIMIT = 64 * 1024;

// ---- fixtures ------------------------------------------------------------------------------------------------

let orgId = "";
let otherOrgId = "";
let ownDocuments: string[] = [];
/** The projects holding ownDocuments: DELETE never picks them, so a cascade never empties the document routes. */
let documentProjects = new Set<string>();
let foreignProject = "";
let foreignDocument = "";
let validCursor = "";
const readWriteKeys: string[] = [];
const readOnlyKeys: string[] = [];
/** Keyed requests answered 429: the per-key budget (600/min) must never be what a run measured. */
let rateLimited = 0;

beforeAll(async () => {
  const a = await orgWithMembers("Fuzz");
  const b = await orgWithMembers("Fuzz other");
  orgId = a.org.id;
  otherOrgId = b.org.id;
  // BIL-1: room for every project the runs create (the Free plan's limit would turn most creates into 402s).
  await putOnPlan(orgId, "business");
  const own: string[] = [];
  for (let i = 0; i < 8; i++) {
    const r = await createProject(a.member, { name: `Fuzz ${i}` }, request());
    if (!r.ok) throw new Error("setup: createProject");
    own.push(r.data.id);
  }
  const theirs = await createProject(b.member, { name: "Other org's project" }, request());
  if (!theirs.ok) throw new Error("setup: createProject (other org)");
  foreignProject = theirs.data.id;
  ownDocuments = [await documentIn(orgId, own[0]!, "a.pdf"), await documentIn(orgId, own[1]!, "b.pdf"), await documentIn(orgId, own[1]!, "c.pdf")];
  foreignDocument = await documentIn(otherOrgId, foreignProject, "theirs.pdf");
  documentProjects = new Set([own[0]!, own[1]!]);
  // Several keys of each kind, rotated per request: 600 requests/min per key (RL-1) is far above a run's needs.
  for (let i = 0; i < 4; i++) readWriteKeys.push((await newKey(a.admin)).plaintext);
  for (let i = 0; i < 2; i++) readOnlyKeys.push((await newKey(a.admin, { permissions: "read" })).plaintext);
  const page = await callApi("get", "/api/v1/projects", { key: readWriteKeys[0], query: "?limit=1" });
  validCursor = String(page.json?.nextCursor ?? "");
  if (!validCursor) throw new Error("setup: no cursor");
}, 120_000);

async function documentIn(org: string, projectId: string, name: string) {
  const [row] = await (await ownerDb()).query<{ id: string }>(
    "insert into public.documents (org_id, project_id, name, mime_type, size_bytes, created_by) values ($1, $2, $3, 'application/pdf', 1234, 'user_seed') returning id",
    [org, projectId, name],
  );
  return row!.id;
}

let turn = 0;
const keyFor = (readOnly: boolean) => {
  const pool = readOnly ? readOnlyKeys : readWriteKeys;
  return pool[turn++ % pool.length]!;
};

// ---- what the database looks like, read as the tables' owner --------------------------------------------------

interface Snapshot {
  projects: { id: string; name: string; updated_at: string }[];
  auditWrites: number;
  probes: number;
  idempotency: number;
  other: { projects: string; documents: number; audit: number };
  documents: number;
}

async function snapshot(): Promise<Snapshot> {
  const db = await ownerDb();
  const projects = await db.query<{ id: string; name: string; updated_at: string }>(
    "select id::text, name, updated_at::text from public.projects where org_id = $1 order by id",
    [orgId],
  );
  const [audit] = await db.query<{ writes: number; probes: number }>(
    `select count(*) filter (where action <> 'security.cross_tenant_access')::int as writes,
            count(*) filter (where action = 'security.cross_tenant_access')::int as probes
       from public.audit_logs where org_id = $1`,
    [orgId],
  );
  const [counts] = await db.query<{ idempotency: number; documents: number; other_projects: string; other_documents: number; other_audit: number }>(
    `select (select count(*) from public.idempotency_keys where org_id = $1)::int as idempotency,
            (select count(*) from public.documents where org_id = $1)::int as documents,
            (select coalesce(string_agg(id::text || ':' || name || ':' || updated_at::text, ',' order by id), '') from public.projects where org_id = $2) as other_projects,
            (select count(*) from public.documents where org_id = $2)::int as other_documents,
            (select count(*) from public.audit_logs where org_id = $2)::int as other_audit`,
    [orgId, otherOrgId],
  );
  return {
    projects,
    auditWrites: audit!.writes,
    probes: audit!.probes,
    idempotency: counts!.idempotency,
    documents: counts!.documents,
    other: { projects: counts!.other_projects, documents: counts!.other_documents, audit: counts!.other_audit },
  };
}

// ---- arbitraries ---------------------------------------------------------------------------------------------

/** Any UTF-16 code unit, lone surrogates included (JSON.stringify escapes them, JSON.parse gives them back). */
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const controlChar = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));
/** What an HTTP header value may carry (the Headers class refuses NUL, CR and LF). */
const headerChar = fc.integer({ min: 1, max: 0xff }).filter((c) => c !== 0x0a && c !== 0x0d).map((c) => String.fromCharCode(c));

const nastyStrings = fc.constantFrom(
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udc00y",
  "\ufeff",
  "\u202e",
  "'; drop table projects; --",
  "' or '1'='1",
  "../../../etc/passwd",
  "${jndi:ldap://x}",
  "<script>alert(1)</script>",
  "%00",
  "\\",
  "__proto__",
  "constructor",
  "null",
  "1e309",
);

const textArb = fc.oneof(
  { arbitrary: fc.string({ maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: anyCodeUnit, maxLength: 20 }), weight: 2 },
  { arbitrary: fc.string({ unit: fc.oneof(controlChar, fc.constantFrom("a", " ", "é")), minLength: 1, maxLength: 10 }), weight: 1 },
  { arbitrary: nastyStrings, weight: 2 },
);

/** Project names: valid ones, and everything around the rules (1..100 after trimming, no control characters). */
const nameArb = fc.oneof(
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,30}$/), weight: 5 },
  { arbitrary: textArb, weight: 4 },
  { arbitrary: fc.integer({ min: 98, max: 102 }).map((n) => "n".repeat(n)), weight: 1 },
  { arbitrary: fc.integer({ min: 98, max: 102 }).map((n) => `  ${"é".repeat(n)}  `), weight: 1 },
  { arbitrary: fc.integer({ min: 99, max: 101 }).map((n) => "😀".repeat(n)), weight: 1 },
);

/** Bodies of exactly BODY_LIMIT + delta bytes: `{"name":"aaa…"}` is n + 11 bytes. */
const nearLimitBody = fc.integer({ min: -2, max: 2 }).map((delta) => ({ kind: "json" as const, value: { name: "a".repeat(BODY_LIMIT - 11 + delta) } }));

/** `nested`: `depth` levels of `[` or `{"a":` (balanced or not), written out only when sent, so a counterexample stays short. */
type Nested = { kind: "nested"; open: "[" | '{"a":'; depth: number; balanced: boolean; inName: boolean };
type Body = { kind: "none" } | { kind: "json"; value: unknown } | { kind: "raw"; text: string } | Nested;

function nestedText(n: Nested): string {
  const inner = n.balanced ? `${n.open.repeat(n.depth)}${n.open === "[" ? "" : "1"}${(n.open === "[" ? "]" : "}").repeat(n.depth)}` : n.open.repeat(n.depth);
  return n.inName ? `{"name":${inner}}` : inner;
}

const bodyArb: fc.Arbitrary<Body> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("json" as const), value: fc.record({ name: nameArb }) }), weight: 8 },
  {
    arbitrary: fc.record({
      kind: fc.constant("json" as const),
      value: fc.tuple(nameArb, fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), nastyStrings), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 4 })).map(([name, extra]) => ({ ...extra, name })),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant("json" as const), value: fc.record({ name: fc.jsonValue({ maxDepth: 2 }) }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("json" as const), value: fc.jsonValue({ maxDepth: 3 }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("json" as const), value: fc.object({ maxDepth: 2 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("json" as const), value: fc.array(fc.record({ name: nameArb }), { maxLength: 3 }) }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant("raw" as const),
      text: fc.oneof(
        fc.string({ maxLength: 60 }),
        fc.string({ unit: anyCodeUnit, maxLength: 30 }),
        fc.constantFrom("{not json", '{"name":', '{"name":"x",}', "\ufeff{\"name\":\"x\"}", "name=x", "[", "null", "true", "0", '"x"', '{"name":"x"}{"name":"y"}', "{\"name\":\"\\ud800\"}"),
        fc.integer({ min: -2, max: 2 }).map((delta) => "x".repeat(BODY_LIMIT + delta)),
      ),
    }),
    weight: 2,
  },
  { arbitrary: nearLimitBody, weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant("nested" as const),
      open: fc.constantFrom("[" as const, '{"a":' as const),
      depth: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1000, max: 10_000 })),
      balanced: fc.boolean(),
      inName: fc.boolean(),
    }),
    weight: 1,
  },
  { arbitrary: fc.constant({ kind: "none" as const }), weight: 1 },
);

const pad = (n: number, width: number) => String(n).padStart(width, "0");
const b64url = (s: string) => Buffer.from(s, "utf8").toString("base64url");

/** Cursors that pass the cursor regex and decode to `<datetime>|<uuid>`, with timestamps at Postgres' edges. */
const wellFormedCursor = fc
  .record({
    year: fc.oneof(fc.constantFrom(0, 1, 1969, 1970, 2026, 9999), fc.integer({ min: 0, max: 9999 })),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
    fraction: fc.oneof(fc.constant(""), fc.stringMatching(/^\.[0-9]{1,12}$/)),
    id: fc.oneof(fc.uuid(), fc.constantFrom("00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff")),
  })
  .map((c) => b64url(`${pad(c.year, 4)}-${pad(c.month, 2)}-${pad(c.day, 2)}T${pad(c.hour, 2)}:${pad(c.minute, 2)}:${pad(c.second, 2)}${c.fraction}Z|${c.id}`));

const cursorValue = fc.oneof(
  fc.constantFrom("", "!!", "bm9wZQ", "a".repeat(200), "a".repeat(201), "==", "-_-_", "%ZZ", "null"),
  fc.constant(null).map(() => validCursor),
  fc.string({ maxLength: 30 }).map(b64url),
  fc.string({ unit: anyCodeUnit, maxLength: 20 }),
  wellFormedCursor,
);

const limitValue = fc.oneof(
  fc.constantFrom("-1", "0", "1", "20", "100", "101", "1e9", "1e2", "NaN", "Infinity", "-Infinity", "-0", "0x10", " 5 ", "5.5", "", "99999999999999999999999", "1,2", "null", "true", "٣"),
  fc.integer().map(String),
  fc.double().map(String),
  textArb,
);

const paramPair = fc.oneof(
  { arbitrary: fc.tuple(fc.constant("limit"), limitValue), weight: 3 },
  { arbitrary: fc.tuple(fc.constant("cursor"), cursorValue), weight: 3 },
  { arbitrary: fc.tuple(fc.oneof(fc.constantFrom("LIMIT", "limit[]", "__proto__", "constructor", "toString", "", "cursor "), textArb), textArb), weight: 2 },
);

/** A query string: encoded pairs (repeated keys included), or raw characters straight into the URL. */
const queryArb = fc.oneof(
  { arbitrary: fc.constant(""), weight: 1 },
  {
    arbitrary: fc.array(paramPair, { maxLength: 5 }).map((pairs) => {
      const enc = (s: string) => encodeURIComponent(s.toWellFormed());
      return pairs.length ? `?${pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&")}` : "";
    }),
    weight: 6,
  },
  { arbitrary: fc.string({ unit: fc.oneof(anyCodeUnit, fc.constantFrom("&", "=", "%", "+", "?", "limit", "cursor")), maxLength: 40 }).map((s) => `?${s}`), weight: 2 },
);

type IdChoice =
  | { kind: "own"; pick: number }
  | { kind: "foreign" }
  | { kind: "nothing"; uuid: string }
  | { kind: "otherType"; pick: number }
  | { kind: "malformed"; raw: string };

const malformedId = fc.oneof(
  fc.string({ minLength: 1, maxLength: 60 }),
  fc.string({ unit: "binary", minLength: 1, maxLength: 40 }),
  fc.uuid().map((u) => u.toUpperCase().replace(/-/g, "")),
  fc.uuid().map((u) => `{${u}}`),
  fc.uuid().map((u) => `${u}0`),
  fc.uuid().map((u) => `${u} `),
  fc.uuid().map((u) => u.slice(0, 35)),
  fc.uuid().map((u) => `${u}' or '1'='1`),
  fc.constantFrom("null", "undefined", "0", "-1", "..", "%", "%00", "1e9", "../projects", "a".repeat(5000), "00000000-0000-0000-0000-00000000000g"),
);

const idArb: fc.Arbitrary<IdChoice> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("own" as const), pick: fc.nat() }), weight: 4 },
  { arbitrary: fc.constant({ kind: "foreign" as const }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("nothing" as const), uuid: fc.uuid() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("otherType" as const), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("malformed" as const), raw: malformedId.filter((s) => s.toWellFormed() === s) }), weight: 3 },
);

/** Present in about `percent`% of cases. */
const sometimes = <T>(arb: fc.Arbitrary<T>, percent: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 100 - percent }, { arbitrary: arb, weight: percent });

const headersArb = fc.record({
  // VAL-1: only JSON media types are read; null sends no Content-Type at all.
  contentType: sometimes(
    fc.constantFrom<string | null>("application/json", "application/json; charset=utf-8", "application/merge-patch+json", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "multipart/form-data; boundary=x", "", null),
    40,
  ),
  // VAL-2: a declared length over the limit is refused before reading; a false small one changes nothing.
  contentLength: sometimes(fc.constantFrom("99999999", "65537", "-1", "abc", "0", "1"), 15),
  idempotencyKey: sometimes(fc.oneof(fc.constantFrom("fuzz-1", "fuzz-2", " ", "a".repeat(255), "a".repeat(256), "é", "a b"), fc.string({ unit: headerChar, minLength: 1, maxLength: 40 })), 30),
  requestId: sometimes(fc.string({ unit: headerChar, maxLength: 200 }), 30),
  userAgent: sometimes(fc.string({ unit: headerChar, maxLength: 1000 }), 30),
});

interface Case {
  readOnly: boolean;
  id: IdChoice;
  query: string;
  body: Body;
  headers: Partial<{ contentType: string | null; contentLength: string; idempotencyKey: string; requestId: string; userAgent: string }>;
}

const caseArb = (spec: ApiRouteSpec): fc.Arbitrary<Case> =>
  fc.record({
    // Writes mostly with the read-write key (so validation is reached); reads with either.
    readOnly: spec.permission === "write" ? fc.integer({ min: 0, max: 5 }).map((n) => n === 0) : fc.boolean(),
    id: idArb,
    query: queryArb,
    body: spec.body ? bodyArb : spec.method === "delete" ? fc.oneof(fc.constant<Body>({ kind: "none" }), bodyArb) : fc.constant<Body>({ kind: "none" }),
    headers: headersArb,
  });

/**
 * Cases tried before the random ones on every endpoint they apply to: a plain valid request (so every run
 * exercises the success path and its checks), then inputs that answered 500 when this test was written: a
 * well-formed cursor holding a timestamp PostgreSQL cannot represent (year 0000, SQLSTATE 22008), a project name
 * that is a lone UTF-16 surrogate (jsonb refuses it in the audit entry), and a body of 20,000 nested arrays
 * (40 KB, under the 64 KiB limit) that overflows the stack of any recursive walk over the parsed body.
 */
const year0Cursor = b64url("0000-01-01T00:00:00Z|00000000-0000-4000-8000-000000000000");
const examplesFor = (spec: ApiRouteSpec): [Case][] => {
  const base: Case = { readOnly: false, id: { kind: "own", pick: 0 }, query: "", body: { kind: "none" }, headers: {} };
  const out: [Case][] = [[spec.body ? { ...base, body: { kind: "json", value: { name: "Example" } } } : base]];
  if (spec.query) out.push([{ ...base, query: `?cursor=${year0Cursor}` }]);
  if (spec.body) out.push([{ ...base, body: { kind: "json", value: { name: "\ud800" } } }]);
  if (spec.body) out.push([{ ...base, body: { kind: "nested", open: "[", depth: 20_000, balanced: true, inName: false } }]);
  if (spec.body) out.push([{ ...base, body: { kind: "nested", open: '{"a":', depth: 10_000, balanced: true, inName: true } }]);
  return out;
};

// ---- checks --------------------------------------------------------------------------------------------------

const LEAKS: [string, RegExp][] = [
  ["stack frame", /\bat\s+(?:async\s+)?[\w$.<>[\]]+\s+\(|\bat\s+(?:file:|node:|\/)|\n\s+at\s/],
  ["error class", /\b(?:Type|Range|Syntax|Reference|Database|Aggregate)Error\b|\bError:\s/],
  ["file path", /(?:^|[\s("'])(?:\/|[A-Za-z]:\\)[\w.@-]+(?:[/\\][\w.@-]+)+|\.(?:tsx?|[cm]?js|sql):\d+|node_modules|\.next\//],
  ["SQL", /\b(?:select|insert|update|delete)\b[\s\S]{0,200}?\b(?:from|into|set|where|returning)\b|\bSQLSTATE\b|syntax error|violates|duplicate key|\brelation "|\bcolumn "|\bpg_[a-z]|\bpostgres|\bpglite\b|out of range|invalid input syntax|timestamptz|::uuid/i],
];

/** Every string a case sent, so an error that echoes the caller's own input (an unknown key's name) is not a leak. */
function inputStrings(c: Case, id: string): string[] {
  const out = new Set<string>([id, c.query, ...Object.values(c.headers).filter((v): v is string => typeof v === "string")]);
  const walk = (v: unknown): void => {
    if (typeof v === "string") out.add(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        out.add(k);
        walk(x);
      }
    }
  };
  if (c.body.kind === "json") walk(c.body.value);
  if (c.body.kind === "raw") out.add(c.body.text);
  try {
    for (const [k, v] of new URLSearchParams(c.query)) {
      out.add(k);
      out.add(v);
    }
  } catch {
    /* not a query */
  }
  return [...out].filter(Boolean).sort((a, b) => b.length - a.length);
}

/**
 * The free-text parts of a problem (`detail`, `errors`), with the caller's own input cut out (replaced by NUL,
 * which no pattern treats as a word or a space, so a cut never manufactures a match), against LEAKS. The fixed
 * parts (`type`, `title`, `code`, `status`, `requestId`) are checked exactly by checkResponse.
 */
function leaksIn(body: Record<string, unknown>, echoed: string[]): string[] {
  const strings: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string") strings.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        strings.push(k);
        walk(x);
      }
    }
  };
  walk([body.detail, body.errors]);
  const scrubbed = strings.map((s) => echoed.reduce((acc, e) => acc.split(e).join("\u0000"), s)).join("\n");
  return LEAKS.filter(([, re]) => re.test(scrubbed)).map(([what]) => what);
}

const TITLES = new Set(["Authentication required", "Forbidden", "Not found", "Method not allowed", "Invalid request", "Malformed request", "Payload too large", "Length required", "Unsupported media type", "Conflict", "Plan limit reached", "Too many requests", "Service unavailable", "Internal error"]);

const STATUS_OF_CODE = new Map<string, number>(ERROR_CATALOGUE.map((e) => [e.code, e.status]));
const strictProblem = problemSchema.strict();
const strictProject = projectSchema.strict();
const SUCCESS_SHAPES: Record<string, z.ZodType> = {
  "get /api/v1/projects": projectPage.extend({ data: z.array(strictProject) }).strict(),
  "post /api/v1/projects": strictProject,
  "get /api/v1/projects/{id}": strictProject,
  "patch /api/v1/projects/{id}": strictProject,
  "get /api/v1/projects/{id}/documents": documentPage.extend({ data: z.array(documentSchema.strict()) }).strict(),
  "get /api/v1/documents": documentPage.extend({ data: z.array(documentSchema.strict()) }).strict(),
  "get /api/v1/documents/{id}": documentSchema.strict(),
  "post /api/v1/projects/{id}/documents": uploadedDocumentSchema.strict(),
  "post /api/v1/projects/{id}/documents/imports": uploadedDocumentSchema.strict(),
  "post /api/v1/documents/{id}/download-urls": downloadUrlSchema.strict(),
};

/**
 * The documents pipeline's writes change documents, not projects (tests/integration/documents-pipeline.test.ts checks
 * their effects); here they meet every invariant above except the project-write expectations. The import class
 * allows 20 requests a minute per key (RL-1), so these run fewer cases.
 */
const DOCUMENT_WRITES = new Set([
  "post /api/v1/projects/{id}/documents",
  "post /api/v1/projects/{id}/documents/imports",
  "post /api/v1/documents/{id}/download-urls",
  "delete /api/v1/documents/{id}",
]);

type Response = Awaited<ReturnType<typeof callApi>>;

/** The invariants every response meets, whatever was sent. */
function checkResponse(label: string, res: Response, echoed: string[]) {
  const where = `${label} -> ${res.status} ${res.text.slice(0, 300)}`;
  expect((res.status >= 200 && res.status < 300) || (res.status >= 400 && res.status < 500), `status: ${where}`).toBe(true);
  expect(res.headers.get("x-request-id"), where).toBeTruthy();
  if (res.status >= 400) {
    expect(res.headers.get("content-type"), where).toBe("application/problem+json");
    const problem = strictProblem.safeParse(res.json);
    expect(problem.success, `${where}\n${problem.error?.message}`).toBe(true);
    expect(STATUS_OF_CODE.get(String(res.json!.code)), where).toBe(res.status);
    expect(res.json!.status, where).toBe(res.status);
    expect(res.json!.type, where).toBe(`https://tenantguard.dev/problems/${String(res.json!.code)}`);
    expect(TITLES.has(String(res.json!.title)), where).toBe(true);
    expect(leaksIn(res.json!, echoed), where).toEqual([]);
    if (res.status === 429) expect(Number(res.headers.get("retry-after")), where).toBeGreaterThanOrEqual(1);
    if (res.status === 401) expect(res.headers.get("www-authenticate"), where).toMatch(/^Bearer /);
  }
}

// ---- one property per operation ------------------------------------------------------------------------------

describe("partner API fuzzing: every operation answers 2xx/4xx, problem+json, no internals, no write on rejection (VAL-1..3)", () => {
  for (const spec of API_ROUTES) {
    const route = `${spec.method} ${spec.path}`;
    const isWrite = spec.method !== "get";
    const isDocument = spec.path.startsWith("/api/v1/documents/");
    // Routes outside the proxy's matcher that run the edge pipeline in their own file (proxy.ts, lib/security/edge.ts).
    const routeRunsEdge = spec.path === "/api/v1/projects/{id}/documents";

    it(
      `${spec.method.toUpperCase()} ${spec.path}`,
      async () => {
        await fc.assert(
          fc.asyncProperty(caseArb(spec), async (c) => {
            const before = isWrite ? await snapshot() : null;

            // Resolve the path id against the current data (own projects come and go as DELETE and POST run).
            let id = "";
            let idClass: "own" | "foreign" | "missing" | "malformed" | "none" = "none";
            if (spec.path.includes("{id}")) {
              const ownProjects = before?.projects.map((p) => p.id) ?? (await snapshot()).projects.map((p) => p.id);
              const own = isDocument ? ownDocuments : spec.method === "delete" ? ownProjects.filter((p) => !documentProjects.has(p)) : ownProjects;
              switch (c.id.kind) {
                case "own":
                  [id, idClass] = own.length ? [own[c.id.pick % own.length]!, "own"] : [c.id.kind, "malformed"];
                  break;
                case "foreign":
                  [id, idClass] = [isDocument ? foreignDocument : foreignProject, "foreign"];
                  break;
                case "nothing":
                  [id, idClass] = [c.id.uuid, "missing"];
                  break;
                case "otherType": {
                  // A document id where a project is expected, and the other way round.
                  const other = isDocument ? ownProjects : ownDocuments;
                  [id, idClass] = other.length ? [other[c.id.pick % other.length]!, "missing"] : ["x", "malformed"];
                  break;
                }
                case "malformed":
                  [id, idClass] = [c.id.raw, z.uuid().safeParse(c.id.raw).success ? "missing" : "malformed"];
                  break;
              }
            }
            const path = spec.path.replace("{id}", encodeURIComponent(id));
            const controlInPath = /[\u0000-\u001f\u007f]/.test(id);

            const headers: Record<string, string> = {};
            if (c.headers.requestId !== undefined) headers["x-request-id"] = c.headers.requestId;
            if (c.headers.userAgent !== undefined) headers["user-agent"] = c.headers.userAgent;
            if (c.headers.idempotencyKey !== undefined && spec.method === "post") headers["idempotency-key"] = c.headers.idempotencyKey;
            const sendsBody = c.body.kind !== "none";
            const lies = sendsBody && c.headers.contentLength !== undefined;
            if (lies) headers["content-length"] = c.headers.contentLength!;

            const res = await callApi(spec.method, path, {
              key: keyFor(c.readOnly),
              query: c.query,
              ...(c.body.kind === "json" ? { body: c.body.value } : c.body.kind === "raw" ? { rawBody: c.body.text } : c.body.kind === "nested" ? { rawBody: nestedText(c.body) } : {}),
              headers,
              ...(sendsBody && c.headers.contentType !== undefined ? { contentType: c.headers.contentType } : {}),
            });
            if (res.status === 429) rateLimited++;
            const label = `${route} ${JSON.stringify({ ...c, id: id.length > 80 ? `${id.slice(0, 80)}…` : id })}`.slice(0, 2000);
            checkResponse(label, res, inputStrings(c, id));

            // Outcomes that are certain whatever else was sent.
            const where = `${label} -> ${res.status} ${res.text.slice(0, 200)}`;
            if (controlInPath && routeRunsEdge) {
              // The upload route's file runs the edge pipeline itself, for every method it exports: the request line
              // is checked first, and a control character in the decoded path is 400, as at the proxy.
              expect(res.status, where).toBe(400);
            } else if (spec.fileBody && !sendsBody) {
              // FILE-1: an upload without a declared length is refused before the key or the id is read.
              expect(res.status, where).toBe(411);
            } else if (res.status !== 429) {
              if (spec.permission === "write" && c.readOnly) expect(res.status, where).toBe(403);
              else if (idClass === "malformed") expect(res.status, where).toBe(404);
              else if (idClass === "foreign" || idClass === "missing") expect([404, 413, 415, 422], where).toContain(res.status);
            }
            if (res.status < 300) {
              // VAL-1: a body is accepted only when it was labelled as JSON (415 otherwise).
              if (spec.body) expect([undefined, "application/json", "application/json; charset=utf-8", "application/merge-patch+json"], where).toContain(c.headers.contentType);
              if (res.status === 204) expect(res.text, where).toBe("");
              else {
                expect(res.headers.get("content-type"), where).toBe("application/json");
                const shape = SUCCESS_SHAPES[route]!.safeParse(res.json);
                expect(shape.success, `${where}\n${shape.error?.message}`).toBe(true);
              }
              if (!isWrite && !isDocument && spec.path.endsWith("/projects")) {
                // A list never shows another org's rows.
                expect((res.json!.data as { id: string }[]).map((p) => p.id), where).not.toContain(foreignProject);
              }
            }

            if (!before) return;
            // Nothing written on rejection; exactly the named change on success.
            const after = await snapshot();
            expect(after.other, `other org changed: ${where}`).toEqual(before.other);
            if (res.status >= 400 || !DOCUMENT_WRITES.has(route)) expect(after.documents, where).toBe(before.documents);
            if (res.status >= 400 || res.headers.get("idempotency-replayed") === "true") {
              expect(after.projects, `projects changed: ${where}`).toEqual(before.projects);
              expect(after.auditWrites, `audit written: ${where}`).toBe(before.auditWrites);
              expect(after.idempotency, `idempotency record kept: ${where}`).toBe(before.idempotency);
              if (after.probes !== before.probes) {
                expect(res.status === 404 && idClass === "foreign" && (!isDocument || DOCUMENT_WRITES.has(route)), `unexpected security event: ${where}`).toBe(true);
                expect(after.probes, where).toBe(before.probes + 1);
              }
              return;
            }
            expect(after.auditWrites, where).toBe(before.auditWrites + 1);
            expect(after.probes, where).toBe(before.probes);
            if (DOCUMENT_WRITES.has(route)) {
              expect(after.projects, `projects changed: ${where}`).toEqual(before.projects);
              if (spec.method === "delete") expect(after.documents, where).toBe(before.documents - 1);
              return;
            }
            const others = (s: Snapshot, skip: string) => s.projects.filter((p) => p.id !== skip);
            if (spec.method === "post") {
              const created = res.json as { id: string; name: string };
              expect(before.projects.some((p) => p.id === created.id), where).toBe(false);
              expect(after.projects.find((p) => p.id === created.id)?.name, where).toBe(created.name);
              expect(others(after, created.id), where).toEqual(before.projects);
              // VAL-1: names are stored trimmed and in Unicode NFC (lib/validation/text.ts), e.g. U+F900 becomes U+8C48.
              expect(created.name, where).toBe(String((c.body as { value: { name: string } }).value.name).trim().normalize("NFC"));
            } else if (spec.method === "patch") {
              expect(idClass, where).toBe("own");
              expect(after.projects.find((p) => p.id === id)?.name, where).toBe((res.json as { name: string }).name);
              expect(others(after, id), where).toEqual(others(before, id));
            } else if (spec.method === "delete") {
              expect(idClass, where).toBe("own");
              expect(after.projects.map((p) => p.id), where).toEqual(others(before, id).map((p) => p.id));
            }
          }),
          { numRuns: DOCUMENT_WRITES.has(route) ? 12 : RUNS_PER_ENDPOINT, examples: examplesFor(spec) },
        );
        expect(rateLimited, "keyed requests were rate limited: the run did not exercise the handlers").toBe(0);
      },
      120_000,
    );
  }
});

// ---- the Authorization header --------------------------------------------------------------------------------

describe("partner API fuzzing: random Authorization headers from random addresses are 401 (or 429), never 5xx (KEY-5, VAL-3)", () => {
  it("every operation, random credentials", async () => {
    const base62 = fc.constantFrom(..."0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    const authArb = fc.oneof(
      { arbitrary: fc.string({ unit: headerChar, maxLength: 100 }), weight: 3 },
      { arbitrary: fc.string({ unit: headerChar, maxLength: 70 }).map((s) => `Bearer ${s}`), weight: 2 },
      // Well-formed keys nobody issued: they reach the database lookup.
      { arbitrary: fc.tuple(fc.constantFrom("live", "test"), fc.string({ unit: base62, minLength: 43, maxLength: 43 })).map(([m, s]) => `Bearer tg_${m}_${s}`), weight: 3 },
      // A real key, bent: another scheme, case, spacing, one character changed, extra text.
      {
        arbitrary: fc.tuple(fc.nat(), fc.nat(), base62, fc.constantFrom("bearer", "BEARER", "Bearer", "Basic", "Token", "Bearer ", "Bearer\t", "")).map(([k, pos, ch, scheme]) => {
          const key = readWriteKeys[k % readWriteKeys.length]!;
          const i = 8 + (pos % 43);
          return pos % 3 === 0 ? `${scheme} ${key.slice(0, i)}${ch}${key.slice(i + 1)}` : pos % 3 === 1 ? `${scheme} ${key}` : `${scheme} ${key} ${key}`;
        }),
        weight: 3,
      },
      { arbitrary: fc.constantFrom("", "Bearer", "Bearer ", "Bearer null", "Bearer tg_test_", `Bearer ${"A".repeat(5000)}`), weight: 1 },
    );
    const ipArb = fc.oneof({ arbitrary: fc.ipV4(), weight: 4 }, { arbitrary: fc.ipV6(), weight: 1 }, { arbitrary: fc.string({ unit: headerChar, maxLength: 80 }), weight: 1 });

    await fc.assert(
      fc.asyncProperty(fc.nat({ max: API_ROUTES.length - 1 }), authArb, ipArb, async (n, authorization, ip) => {
        const spec = API_ROUTES[n]!;
        const own = (await snapshot()).projects.find((p) => !documentProjects.has(p.id))?.id ?? "00000000-0000-4000-8000-000000000000";
        const path = spec.path.replace("{id}", spec.path.startsWith("/api/v1/documents/") ? ownDocuments[0]! : own);
        const before = spec.method === "get" ? null : await snapshot();
        // An upload sends a file (one without a declared length is refused with 411 before the key is read).
        const file = spec.fileBody ? { rawBody: "Written by a stranger\n", contentType: "text/plain", headers: { "x-file-name": "stranger.txt" } } : {};
        const res = await callApi(spec.method, path, { authorization, ip, body: spec.body ? { name: "Written by a stranger" } : undefined, ...file });
        const label = `${spec.method} ${spec.path} ${JSON.stringify({ authorization: authorization.slice(0, 120), ip })}`;
        checkResponse(label, res, [authorization, ip, path]);
        // Exactly `<bearer, any case> <an issued key>` authenticates; the Headers class trims the value first.
        const presented = /^bearer (\S+)$/i.exec(authorization.replace(/^[\t ]+|[\t ]+$/g, ""))?.[1];
        const genuine = presented !== undefined && readWriteKeys.includes(presented);
        if (!genuine) expect([401, 429], `${label} -> ${res.status}`).toContain(res.status);
        if (before && res.status >= 400) {
          const after = await snapshot();
          expect(after, `${label}: something was written`).toEqual(before);
        }
      }),
      { numRuns: AUTH_RUNS },
    );
  }, 120_000);
});
