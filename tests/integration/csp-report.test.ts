import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import type { DestinationStream } from "pino";
import { uid } from "../helpers/tenants";
import { awayFromWindowEdge } from "../helpers/rate-limit-window";

type Route = typeof import("@/app/api/csp-report/route");
type Db = typeof import("@/lib/db");

// The app's own log stream, captured: the process logger (lib/observability/logger.ts) is created once per
// process on globalThis, so the route, loaded afterwards in a fresh module graph, writes here with the real options.
const logChunks: string[] = [];
const logLines = () => logChunks.join("").split("\n").filter(Boolean).map((line) => JSON.parse(line) as { level: string; msg: string });
let POST: Route["POST"];
let db: Db;

beforeAll(async () => {
  const { createLogger } = await import("@/lib/observability/logger");
  const destination: DestinationStream = { write: (chunk: string) => void logChunks.push(chunk) };
  (globalThis as { __tenantguardLogger?: unknown }).__tenantguardLogger = createLogger(destination, "info");
  vi.resetModules();
  POST = (await import("@/app/api/csp-report/route")).POST;
  db = await import("@/lib/db");
});
afterAll(() => db.closeDb());

let consoleErrors: unknown[][] = [];
afterEach(() => {
  vi.restoreAllMocks();
  consoleErrors = [];
});
function watchConsoleErrors() {
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void consoleErrors.push(args));
}

const randomIp = () => `192.0.2.${Math.floor(Math.random() * 250) + 1}`;
const post = (body: string, type = "application/csp-report", ip = randomIp()) =>
  POST(new Request("http://localhost:3000/api/csp-report", { method: "POST", headers: { "content-type": type, "x-forwarded-for": ip }, body }));

async function stored(marker: string) {
  return (await db.ownerDb()).query<{ violated_directive: string | null; blocked_uri: string | null; document_uri: string; report: string }>(
    "select violated_directive, blocked_uri, document_uri, report::text as report from private.csp_reports where document_uri like '%' || $1 || '%' order by id",
    [marker],
  );
}

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(await res.json()).toMatchObject({ status, code, type: `https://tenantguard.dev/problems/${code}` });
}

const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe("CSP report endpoint (HDR-2)", () => {
  it("stores report-uri and Reporting API reports, with secrets in URLs masked", async () => {
    const marker = uid();
    const legacy = await post(
      JSON.stringify({ "csp-report": { "document-uri": `http://localhost:3000/projects?m=${marker}`, "violated-directive": "script-src-elem", "blocked-uri": "https://evil.example/x.js?token=s3cr3t-value" } }),
    );
    expect(legacy.status).toBe(204);
    const modern = await post(
      JSON.stringify([{ type: "csp-violation", body: { documentURL: `http://localhost:3000/account?m=${marker}`, effectiveDirective: "script-src-elem", blockedURL: "inline", disposition: "enforce" } }]),
      "application/reports+json",
    );
    expect(modern.status).toBe(204);
    const rows = await (await db.ownerDb()).query<{ report: string }>("select report::text as report from private.csp_reports order by id desc limit 2");
    expect(rows.map((r) => r.report).join()).not.toContain("s3cr3t-value");
    expect(rows.map((r) => r.report).join()).not.toContain(marker); // query strings are masked as a whole
    const [latest] = await (await db.ownerDb()).query<{ violated_directive: string }>("select violated_directive from private.csp_reports order by id desc limit 1");
    expect(latest!.violated_directive).toBe("script-src-elem");
  });

  it("a NUL, other control characters and unpaired surrogates are stored as U+FFFD, with no error logged", async () => {
    watchConsoleErrors();
    const marker = uid();
    const hostile = "a\u0000b\u0007c\u001bd\u007fe\ud800f\udc00g";
    const legacy = await post(
      JSON.stringify({ "csp-report": { "document-uri": `http://localhost:3000/p/${marker}/${hostile}`, "violated-directive": `script-src${hostile}`, "blocked-uri": `https://x.example/${hostile}`, "script-sample": hostile } }),
    );
    expect(legacy.status).toBe(204);
    const modern = await post(
      JSON.stringify([{ type: "csp-violation", body: { documentURL: `http://localhost:3000/q/${marker}/\u0000`, effectiveDirective: "img-src\u0000", sourceFile: "\u0000", sample: "\u0000\u0000" } }]),
      "application/reports+json",
    );
    expect(modern.status).toBe(204);

    const rows = await stored(marker);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.document_uri).toBe(`http://localhost:3000/p/${marker}/a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\ufffdg`);
    expect(rows[0]!.violated_directive).toBe("script-src" + "a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\ufffdg");
    expect(rows[1]!.violated_directive).toBe("img-src\ufffd");
    for (const row of rows) {
      expect(row.report).not.toMatch(/\\u00[01]/);
      expect(CONTROL.test(row.document_uri + row.violated_directive + (row.blocked_uri ?? ""))).toBe(false);
    }
    const lines = logLines();
    expect(lines.filter((l) => l.msg === "csp violation" && JSON.stringify(l).includes(marker))).toHaveLength(2);
    expect(lines.filter((l) => l.level === "error" || l.level === "fatal")).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it("any text in any field is accepted and stored without control characters or unpaired surrogates (property)", async () => {
    watchConsoleErrors();
    const codeUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((units) => String.fromCharCode(...units));
    await fc.assert(
      fc.asyncProperty(codeUnits, codeUnits, codeUnits, async (document, directive, blocked) => {
        const marker = uid();
        const res = await post(JSON.stringify({ "csp-report": { "document-uri": `${marker}${document}`, "violated-directive": directive, "blocked-uri": blocked } }));
        expect(res.status).toBe(204);
        const [row] = await stored(marker);
        for (const value of [row!.document_uri, row!.violated_directive ?? "", row!.blocked_uri ?? ""]) {
          expect(CONTROL.test(value) || LONE_SURROGATE.test(value)).toBe(false);
        }
      }),
      { numRuns: 25 },
    );
    expect(consoleErrors).toEqual([]);
  });

  it("oversized fields are cut to their column's size, not refused", async () => {
    const marker = uid();
    const res = await post(
      JSON.stringify({ "csp-report": { "document-uri": `http://localhost:3000/${marker}/${"d".repeat(5000)}`, "violated-directive": "s".repeat(1000), "blocked-uri": `data:${"b".repeat(6000)}` } }),
    );
    expect(res.status).toBe(204);
    const [row] = await stored(marker);
    expect(row!.document_uri).toHaveLength(2048);
    expect(row!.violated_directive).toHaveLength(256);
    expect(row!.blocked_uri).toHaveLength(2048);
  });

  it("refuses other content types (415), oversized bodies (413) and malformed bodies (400), each as a problem", async () => {
    await expectProblem(await post("{}", "text/plain"), 415, "unsupported_media_type");
    await expectProblem(await post(JSON.stringify({ "csp-report": { "document-uri": "x".repeat(17 * 1024) } })), 413, "payload_too_large");
    await expectProblem(await post("not json"), 400, "malformed_report");
    await expectProblem(await post('{"csp-report": {"document-uri": "unterminated'), 400, "malformed_report");
    await expectProblem(await post(JSON.stringify({ hello: "world" })), 400, "malformed_report");
    await expectProblem(await post(JSON.stringify({ "csp-report": { "document-uri": 42 } })), 400, "malformed_report");
    await expectProblem(await post(JSON.stringify([{ type: "csp-violation" }]), "application/reports+json"), 400, "malformed_report");
    expect(await stored("hello")).toEqual([]);
  });

  it("is rate limited per client IP", async () => {
    await awayFromWindowEdge(60_000, 20_000); // an exact count in one-minute windows
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const body = JSON.stringify([]);
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await post(body, "application/reports+json", ip)).status);
    expect(statuses.slice(0, 30).every((s) => s === 204)).toBe(true);
    expect(statuses[30]).toBe(429);
  });

  it("keeps a bounded sample (the newest 1,000)", async () => {
    const owner = await db.ownerDb();
    await owner.query(`select private.record_csp_report(jsonb_build_object('documentURL', 'bulk-' || g)) from generate_series(1, 1010) g`);
    const [count] = await owner.query<{ n: number }>("select count(*)::int as n from private.csp_reports");
    expect(count!.n).toBeLessThanOrEqual(1000);
    const [newest] = await owner.query<{ document_uri: string }>("select document_uri from private.csp_reports order by id desc limit 1");
    expect(newest!.document_uri).toBe("bulk-1010");
  });
});
