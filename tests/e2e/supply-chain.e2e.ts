import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContextOptions } from "playwright-core";
import { startApp } from "./server";
import { CHROMIUM, CHROMIUM_ARGS, assertAccessible, signedInState } from "./browser";

// OPS-2 / OPS-5 / HDR-1 against the production build (`npm run build`, which also writes the SBOM): security.txt over
// HTTP with its content type, fields and security headers; the disclosure page; the SBOM page and download for an
// owner (the hash shown is the file's), 404 for a member. Pages are checked by axe-core and at 390 px.
let app: Awaited<ReturnType<typeof startApp>>;
let browser: Browser;
let alice: BrowserContextOptions["storageState"];
let bob: BrowserContextOptions["storageState"];

before(async () => {
  app = await startApp(3210, { SECURITY_CONTACT: "mailto:security@tenantguard.example" });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  alice = await signedIn("alice@acme.test");
  bob = await signedIn("bob@acme.test");
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const signedIn = (email: string) => signedInState(browser, app.baseUrl, email);

describe("supply chain and disclosure in the production build", () => {
  it("security.txt: text/plain UTF-8, the configured contact, a future Expires, Canonical and Policy of this origin, with the security headers", async () => {
    const res = await fetch(`${app.baseUrl}/.well-known/security.txt`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.match(res.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
    assert.equal(res.headers.get("x-powered-by"), null);
    const text = await res.text();
    assert.match(text, /^Contact: mailto:security@tenantguard\.example$/m);
    assert.match(text, new RegExp(`^Canonical: ${app.baseUrl}/\\.well-known/security\\.txt$`, "m"));
    assert.match(text, new RegExp(`^Policy: ${app.baseUrl}/disclosure$`, "m"));
    const expires = /^Expires: (.+)$/m.exec(text)?.[1];
    assert.ok(expires && Date.parse(expires) > Date.now() + 30 * 86_400_000, `Expires ${expires} is more than 30 days ahead`);
  });

  it("the disclosure page names the contact and the response times, signed out", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(`${app.baseUrl}/disclosure`);
    assert.equal(res?.status(), 200);
    await page.getByRole("heading", { name: "Reporting a vulnerability", level: 1 }).waitFor();
    await page.getByRole("link", { name: "security@tenantguard.example" }).waitFor();
    await page.getByText(/acknowledge your report within 3 business days/).waitFor();
    await assertAccessible(page, "the disclosure page");
    await context.close();
  });

  it("SBOM: an owner sees the running version, component count and the file's SHA-256 and downloads it; a member is told it is for admins and the download is 404", async () => {
    const file = readFileSync(path.join(process.cwd(), "sbom", "tenantguard.cdx.json"));
    const sha256 = createHash("sha256").update(file).digest("hex");
    const version = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;

    const context = await browser.newContext({ storageState: alice });
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/projects`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "SBOM" }).click();
    await page.getByRole("heading", { name: `Running version ${version}` }).waitFor();
    assert.equal(await page.getByTestId("sbom-sha256").innerText(), sha256);
    assert.ok(Number(await page.getByTestId("sbom-components").innerText()) > 100);
    await assertAccessible(page, "the SBOM page");
    const download = await page.request.get(`${app.baseUrl}/settings/sbom/download`);
    assert.equal(download.status(), 200);
    assert.equal(download.headers()["content-type"], "application/vnd.cyclonedx+json");
    assert.equal(createHash("sha256").update(await download.body()).digest("hex"), sha256);
    await context.close();

    const member = await browser.newContext({ storageState: bob });
    const memberPage = await member.newPage();
    await memberPage.goto(`${app.baseUrl}/projects`);
    assert.equal(await memberPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "SBOM" }).count(), 0);
    assert.equal((await memberPage.goto(`${app.baseUrl}/settings/sbom`))?.status(), 200);
    await memberPage.getByRole("heading", { name: "Admins only" }).waitFor();
    assert.equal(await memberPage.getByText(/sha-256/i).count(), 0, "no SBOM data for a member");
    assert.equal((await memberPage.request.get(`${app.baseUrl}/settings/sbom/download`)).status(), 404);
    await member.close();
  });
});
