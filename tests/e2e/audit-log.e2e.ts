import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chromium, type Browser, type BrowserContextOptions, type Page } from "playwright-core";
import { verifyAuditExport } from "../../lib/audit/offline";
import { parsePublicKey } from "../../lib/audit/signing";
import { startApp } from "./server";
import { CHROMIUM, CHROMIUM_ARGS, axeViolations, signedInState } from "./browser";

// AUD-1..5 in Debian's Chromium against the production build (embedded defaults, demo data): the owner's audit log
// page (Verify chain, Sign checkpoint now, an entry's details, filters, 390 px and axe), its JSON export verified
// offline with the published public key, and a member's 404.

let app: Awaited<ReturnType<typeof startApp>>;
let browser: Browser;
let alice: BrowserContextOptions["storageState"];
let bob: BrowserContextOptions["storageState"];

before(async () => {
  app = await startApp(3160);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  alice = await signedIn("alice@acme.test");
  bob = await signedIn("bob@acme.test");
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const signedIn = (email: string) => signedInState(browser, app.baseUrl, email);

async function assertAccessible(page: Page, what: string) {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `axe on ${what}: ${violations.join(", ")}`);
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${what} scrolls sideways by ${overflow} px at 390 px`);
}

describe("the audit log in the browser", () => {
  it("an owner signs a checkpoint, verifies the chain, opens an entry and filters; the JSON export verifies offline", async () => {
    const context = await browser.newContext({ storageState: alice });
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/settings/audit`);
    await page.getByRole("heading", { name: "Audit log", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Sign checkpoint now" }).click();
    await page.getByText(/Checkpoint signed at entry \d+/).waitFor();
    await page.getByRole("button", { name: "Verify chain" }).click();
    await page.getByRole("status").filter({ hasText: /Chain intact: \d+ entries verified against the signed checkpoint/ }).waitFor();
    await page.reload();
    await page.getByTestId("checkpoint-age").getByText(/Latest signed checkpoint: entry \d+/).waitFor();
    const entry = page.getByTestId("audit-entry").filter({ hasText: "audit.checkpoint_signed" }).first();
    await entry.locator("summary").click();
    await entry.getByText("Request id").waitFor();
    await assertAccessible(page, "/settings/audit");

    await page.getByLabel("Action (or family, e.g. member)").fill("audit");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/action=audit/);
    const actions = await page.getByTestId("audit-entry").locator("summary").allTextContents();
    assert.ok(actions.length > 0 && actions.every((t) => t.includes("audit.")), actions.join(" | "));

    const exported = await page.request.get(`${app.baseUrl}/settings/audit/export?format=json`);
    assert.equal(exported.status(), 200);
    assert.match(exported.headers()["content-disposition"] ?? "", /attachment; filename="audit-org_/);
    const key = await (await page.request.get(`${app.baseUrl}/.well-known/tenantguard-audit-key`)).text();
    const doc = (await exported.json()) as { entries: { action: string }[] };
    const verdict = verifyAuditExport(doc, parsePublicKey(key));
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
    doc.entries[0]!.action = "audit.tampered";
    assert.equal(verifyAuditExport(doc, parsePublicKey(key)).ok, false);
    const csv = await page.request.get(`${app.baseUrl}/settings/audit/export?format=csv&action=audit`);
    assert.match(await csv.text(), /^seq,created_at,severity,/);
    await context.close();
  });

  it("a member is told the page is for admins (no entry shown) and gets 404 for the export", async () => {
    const context = await browser.newContext({ storageState: bob });
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/settings/audit`);
    await page.getByTestId("admins-only").getByRole("heading", { name: "Admins only" }).waitFor();
    assert.equal(await page.getByTestId("audit-entry").count(), 0);
    assert.equal((await page.request.get(`${app.baseUrl}/settings/audit/export?format=json`)).status(), 404);
    await context.close();
  });
});
