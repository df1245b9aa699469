import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { chromium, type Browser } from "playwright-core";
import { parsePublicKey } from "../../lib/audit/signing";
import { verifyEvidencePack } from "../../lib/evidence/verify";
import { startApp } from "./server";
import { CHROMIUM, CHROMIUM_ARGS, assertAccessible, signedInState } from "./browser";

// OPS-3 in Debian's Chromium against the production build (embedded defaults, demo data): the owner downloads the
// evidence pack from /security/evidence and it verifies offline under the published public key; a member is told the
// page is for admins.

let app: Awaited<ReturnType<typeof startApp>>;
let browser: Browser;

before(async () => {
  app = await startApp(3250);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const signedIn = (email: string) => signedInState(browser, app.baseUrl, email);

describe("the evidence pack in the browser", () => {
  it("an owner downloads the pack and it verifies offline with the published key", async () => {
    const context = await browser.newContext({ storageState: await signedIn("alice@acme.test"), acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/security/evidence`);
    await page.getByRole("heading", { name: "Evidence pack", level: 1 }).waitFor();
    await assertAccessible(page, "/security/evidence");
    await page.setViewportSize({ width: 1280, height: 900 });
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download evidence pack (.zip)" }).click()]);
    assert.match(download.suggestedFilename(), /^evidence-org_[A-Za-z0-9]+-[0-9TZ]+\.zip$/);
    const zip = await readFile((await download.path())!);
    const key = await (await fetch(`${app.baseUrl}/.well-known/tenantguard-audit-key`)).text();
    const verdict = verifyEvidencePack(zip, parsePublicKey(key));
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
    await context.close();
  });

  it("a member sees that the pack is for admins, and the download answers 404", async () => {
    const context = await browser.newContext({ storageState: await signedIn("bob@acme.test") });
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/security/evidence`);
    await page.getByTestId("admins-only").getByText(/Admins only/).waitFor();
    const status = await page.evaluate(async () => (await fetch("/security/evidence/download", { method: "POST" })).status);
    assert.equal(status, 404);
    await context.close();
  });
});
