import { afterAll, describe, expect, it } from "vitest";
import { POST } from "@/app/api/csp-report/route";
import { closeDb, ownerDb } from "@/lib/db";
import { uid } from "../helpers/tenants";

afterAll(closeDb);

const post = (body: string, type = "application/csp-report", ip = `192.0.2.${Math.floor(Math.random() * 250) + 1}`) =>
  POST(new Request("http://localhost:3000/api/csp-report", { method: "POST", headers: { "content-type": type, "x-forwarded-for": ip }, body }));

async function stored(marker: string) {
  return (await ownerDb()).query<{ violated_directive: string; blocked_uri: string; document_uri: string }>(
    "select violated_directive, blocked_uri, document_uri from private.csp_reports where document_uri like '%' || $1 || '%' order by id",
    [marker],
  );
}

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
    const rows = await (await ownerDb()).query<{ report: string }>("select report::text as report from private.csp_reports order by id desc limit 2");
    expect(rows.map((r) => r.report).join()).not.toContain("s3cr3t-value");
    expect(rows.map((r) => r.report).join()).not.toContain(marker); // query strings are masked as a whole
    const [latest] = await (await ownerDb()).query<{ violated_directive: string }>("select violated_directive from private.csp_reports order by id desc limit 1");
    expect(latest!.violated_directive).toBe("script-src-elem");
  });

  it("refuses other content types, oversized and malformed bodies", async () => {
    expect((await post("{}", "text/plain")).status).toBe(415);
    expect((await post(JSON.stringify({ "csp-report": { "document-uri": "x".repeat(17 * 1024) } }))).status).toBe(413);
    expect((await post("not json")).status).toBe(422);
    expect((await post(JSON.stringify({ hello: "world" }))).status).toBe(422);
    expect(await stored("hello")).toEqual([]);
  });

  it("is rate limited per client IP", async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const body = JSON.stringify([]);
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await post(body, "application/reports+json", ip)).status);
    expect(statuses.slice(0, 30).every((s) => s === 204)).toBe(true);
    expect(statuses[30]).toBe(429);
  });

  it("keeps a bounded sample (the newest 1,000)", async () => {
    const db = await ownerDb();
    await db.query(`select private.record_csp_report(jsonb_build_object('documentURL', 'bulk-' || g)) from generate_series(1, 1010) g`);
    const [count] = await db.query<{ n: number }>("select count(*)::int as n from private.csp_reports");
    expect(count!.n).toBeLessThanOrEqual(1000);
    const [newest] = await db.query<{ document_uri: string }>("select document_uri from private.csp_reports order by id desc limit 1");
    expect(newest!.document_uri).toBe("bulk-1010");
  });
});
