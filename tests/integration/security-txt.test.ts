import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { NextRequest } from "next/server";
import { GET } from "@/app/.well-known/security.txt/route";
import { env, parseEnv } from "@/lib/env";
import { checkSecurityHeaders, proxyResponseHeaders } from "@/lib/controls/checks/headers";
import {
  checkSecurityTxt,
  DISCLOSURE,
  parseSecurityTxt,
  renderSecurityTxt,
  SECURITY_TXT_EXPIRES,
  SECURITY_TXT_RENEW_DAYS,
} from "@/lib/security/security-txt";

/**
 * OPS-5 / HDR-1: /.well-known/security.txt as RFC 9116 asks: text/plain UTF-8, a Contact, one Expires in the
 * future, the canonical URL of this deployment, a policy; served through the proxy with the security headers of
 * every response. The Expires date is set by a person: this test fails 30 days before it passes, so it is reviewed.
 */
const DAY_MS = 86_400_000;

async function served() {
  const response = GET();
  return { response, text: await response.text() };
}

describe("security.txt (OPS-5)", () => {
  it("is served as text/plain; charset=utf-8 with every field RFC 9116 requires, and the ones we promise", async () => {
    const { response, text } = await served();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const fields = parseSecurityTxt(text);
    expect(fields.get("contact")?.length).toBeGreaterThan(0);
    for (const c of fields.get("contact")!) expect(c).toMatch(/^(mailto:|https:\/\/|tel:)/);
    expect(fields.get("expires")).toHaveLength(1);
    expect(fields.get("preferred-languages")).toEqual(["en"]);
    expect(fields.get("policy")).toEqual([`${new URL(env.APP_URL).origin}/disclosure`]);
    // Every line is a comment or a `Field: value` line (RFC 9116 section 4).
    for (const line of text.trimEnd().split("\n")) expect(line).toMatch(/^(#.*|[A-Za-z-]+: \S.*)$/);
  });

  it("Canonical is this deployment's URL for the file, from APP_URL", async () => {
    const fields = parseSecurityTxt((await served()).text);
    expect(fields.get("canonical")).toEqual([`${new URL(env.APP_URL).origin}/.well-known/security.txt`]);
    const other = parseSecurityTxt(renderSecurityTxt({ appUrl: "https://app.example.com/some/path", contacts: [] }));
    expect(other.get("canonical")).toEqual(["https://app.example.com/.well-known/security.txt"]);
    expect(other.get("contact")).toEqual(["mailto:security@app.example.com"]);
  });

  it(`Expires is an RFC 3339 date more than ${SECURITY_TXT_RENEW_DAYS} days ahead and less than a year: review security.txt and SECURITY.md, then move it`, async () => {
    const expires = parseSecurityTxt((await served()).text).get("expires")![0]!;
    expect(expires).toBe(SECURITY_TXT_EXPIRES);
    expect(expires).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
    const daysLeft = (Date.parse(expires) - Date.now()) / DAY_MS;
    expect(daysLeft, `security.txt expires on ${expires}`).toBeGreaterThan(SECURITY_TXT_RENEW_DAYS);
    expect(daysLeft).toBeLessThanOrEqual(366);
  });

  it("SECURITY_CONTACT sets the contacts (mailto:, https:, tel:), and anything else is refused at start-up", () => {
    const parsed = parseEnv({ NODE_ENV: "test", SECURITY_CONTACT: "mailto:security@tenantguard.example, https://tenantguard.example/report" });
    expect(parsed.SECURITY_CONTACT).toEqual(["mailto:security@tenantguard.example", "https://tenantguard.example/report"]);
    const fields = parseSecurityTxt(renderSecurityTxt({ appUrl: "https://tenantguard.example", contacts: parsed.SECURITY_CONTACT }));
    expect(fields.get("contact")).toEqual(["mailto:security@tenantguard.example", "https://tenantguard.example/report"]);
    expect(() => parseEnv({ NODE_ENV: "test", SECURITY_CONTACT: "http://insecure.example/report" })).toThrow(/SECURITY_CONTACT/);
    expect(() => parseEnv({ NODE_ENV: "test", SECURITY_CONTACT: "security@tenantguard.example" })).toThrow(/SECURITY_CONTACT/);
  });

  it("is public and carries the security headers of every response (HDR-1), through the proxy", async () => {
    const proxy = (await import("@/proxy")).default as (request: NextRequest, event: unknown) => Response | Promise<Response>;
    const response = await proxy(new NextRequest(new URL("/.well-known/security.txt", env.APP_URL)), { waitUntil() {} });
    // Passed on to the route: no sign-in redirect, no refusal.
    expect(response.headers.get("x-middleware-next")).toBe("1");
    const headers = await checkSecurityHeaders({ path: "/.well-known/security.txt", respond: proxyResponseHeaders });
    expect(headers.status, headers.detail).toBe("pass");
  });

  it("the live check passes now, warns within 30 days of Expires, fails after it and when a field is missing", () => {
    const settings = { appUrl: env.APP_URL, contacts: [] };
    const expires = Date.parse(SECURITY_TXT_EXPIRES);
    expect(checkSecurityTxt(settings).status).toBe("pass");
    expect(checkSecurityTxt(settings, new Date(expires - 10 * DAY_MS))).toMatchObject({ status: "warn", detail: expect.stringMatching(/in 10 days/) });
    expect(checkSecurityTxt(settings, new Date(expires + DAY_MS))).toMatchObject({ status: "fail", detail: expect.stringMatching(/expired on/) });
    expect(checkSecurityTxt(settings, new Date(expires - 400 * DAY_MS)).status).toBe("warn");
    const withoutContact = renderSecurityTxt(settings).replace(/^Contact: .*\n/gm, "");
    expect(checkSecurityTxt(settings, new Date(), withoutContact)).toMatchObject({ status: "fail", detail: expect.stringMatching(/no Contact/) });
    const otherCanonical = renderSecurityTxt({ ...settings, appUrl: "https://elsewhere.example" });
    expect(checkSecurityTxt(settings, new Date(), otherCanonical)).toMatchObject({ status: "fail", detail: expect.stringMatching(/Canonical/) });
  });
});

describe("SECURITY.md (OPS-5)", () => {
  const doc = readFileSync(path.join(process.cwd(), "SECURITY.md"), "utf8");

  it("says how to report, through security.txt, with scope and safe harbour", () => {
    expect(doc).toMatch(/\/\.well-known\/security\.txt/);
    expect(doc).toMatch(/^## How to report/m);
    expect(doc).toMatch(/^## Scope/m);
    expect(doc).toMatch(/^## Safe harbour/m);
  });

  it("promises the same response times as the disclosure page", () => {
    expect(doc).toContain(`within ${DISCLOSURE.acknowledgeBusinessDays} business days`);
    expect(doc).toContain(`within ${DISCLOSURE.assessmentBusinessDays} business days`);
    expect(doc).toContain(`within ${DISCLOSURE.fixCriticalDays} days`);
  });
});
