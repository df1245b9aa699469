import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { startApp } from "./server";
import { CHROMIUM, CHROMIUM_ARGS, axeViolations } from "./browser";
import { EICAR, startClamd, type Clamd } from "../helpers/clamd";

// FILE-1..3 and SSRF-1 in Debian's Chromium against the production build: uploads through the file input with their
// progress, the in-process worker's scan by a real clamd with the project's test signatures, the page's own refresh
// while documents are pending, a signed download, an infected upload that never offers one, and the URL import
// form's refusal. axe-core (from node_modules) checks the page; a 390 px viewport must not scroll sideways.

let app: Awaited<ReturnType<typeof startApp>>;
let browser: Browser;
let clamd: Clamd;
let dir: string;
/** Alice's (owner of Acme) signed-in cookies, so each test starts a fresh context without signing in again. */
let alice: BrowserContextOptions["storageState"];

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "tenantguard-e2e-docs-"));
  clamd = await startClamd();
  app = await startApp(3107, {
    CLAMAV_HOST: clamd.host,
    CLAMAV_PORT: String(clamd.port),
    CLAMAV_MAX_BYTES: String(clamd.streamMaxBytes),
    STORAGE_ROOT: path.join(dir, "storage"),
    FILE_URL_KEY_FILE: path.join(dir, "file-url-secret.json"),
    JOBS_POLL_INTERVAL_MS: "250",
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext();
  await signIn(await context.newPage(), "alice@acme.test");
  alice = await context.storageState();
  await context.close();
});

async function asAlice(options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ ...options, storageState: alice });
  const page = await context.newPage();
  await page.goto(`${app.baseUrl}/projects`);
  return { context, page };
}

after(async () => {
  await browser?.close();
  await app?.stop();
  await clamd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function signIn(page: Page, email: string) {
  await page.goto(`${app.baseUrl}/sign-in?next=%2Fprojects`);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("demo-password-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${app.baseUrl}/projects`);
}

async function newProject(page: Page): Promise<string> {
  const name = `E2E documents ${Date.now()}`;
  await page.getByLabel("New project name").fill(name);
  await page.getByRole("button", { name: "Create project" }).click();
  const link = page.getByRole("link", { name });
  await link.click();
  await page.waitForURL(/\/projects\/[0-9a-f-]{36}$/);
  return page.url();
}

describe("documents in the dashboard", () => {
  it("upload with progress, pending, scanned clean by clamd, downloaded as an attachment; EICAR ends infected with no download", async () => {
    const { context, page } = await asAlice({ acceptDownloads: true });
    await newProject(page);
    // A scanner is configured: no "stays pending" notice.
    assert.equal(await page.getByTestId("scanner-off").count(), 0);

    const content = Buffer.from(`quarterly notes ${Date.now()}\n`);
    const uploaded = page.waitForResponse((r) => r.url().includes("/api/documents/upload") && r.request().method() === "POST");
    await page.locator('input[type="file"]').setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: content });
    const response = await uploaded;
    assert.equal(response.status(), 201);
    assert.equal(((await response.json()) as { status: string }).status, "pending_scan");
    const progress = page.getByRole("list", { name: "Uploads" }).getByRole("listitem").filter({ hasText: "notes.txt" });
    await progress.getByText("Uploaded; waiting for its virus scan.").waitFor();
    assert.equal(await progress.locator("progress").getAttribute("value"), String(content.length));
    await progress.getByText("100%").waitFor();

    // FILE-2: the in-process worker scans it; the page refreshes itself while a document is pending.
    const row = page.getByTestId("document-row").filter({ hasText: "notes.txt" });
    await row.getByText("Clean", { exact: true }).waitFor({ timeout: 20_000 });

    // FILE-3: the signed link answers with the bytes as an attachment.
    const downloaded = page.waitForResponse((r) => r.url().includes("/api/documents/download?token=") && r.status() === 200);
    const download = page.waitForEvent("download");
    await row.getByRole("button", { name: "Download" }).click();
    const headers = (await downloaded).headers();
    assert.match(headers["content-disposition"] ?? "", /^attachment;/);
    assert.equal(headers["x-content-type-options"], "nosniff");
    const file = await (await download).path();
    assert.ok(readFileSync(file).equals(content), "the downloaded bytes are the uploaded bytes");

    // An EICAR upload is infected: blocked, explained, no download offered.
    const eicarUploaded = page.waitForResponse((r) => r.url().includes("/api/documents/upload") && r.request().method() === "POST");
    await page.locator('input[type="file"]').setInputFiles({ name: "eicar.txt", mimeType: "text/plain", buffer: EICAR });
    const eicarResponse = await eicarUploaded;
    assert.equal(eicarResponse.status(), 201, await eicarResponse.text());
    const infected = page.getByTestId("document-row").filter({ hasText: "eicar.txt" });
    await infected
      .getByText("Infected (blocked)")
      .waitFor({ timeout: 20_000 })
      .catch(async (error: unknown) => {
        throw new Error(`${String(error)}\n${await page.locator("main").innerText()}\n${app.logs().slice(-3000)}`);
      });
    await infected.getByText("The virus scanner found malware").waitFor();
    assert.equal(await infected.getByRole("button", { name: "Download" }).count(), 0, "an infected document offers no download");

    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], `axe: ${violations.join(", ")}`);
    await context.close();
  });

  it("URL import refuses a private address with its reason and keeps the typed URL; at 390 px nothing scrolls sideways", async () => {
    const { context, page } = await asAlice({ viewport: { width: 390, height: 844 } });
    await newProject(page);
    const field = page.getByLabel("Import from a URL");
    await field.fill("http://127.0.0.1/internal.txt");
    await page.getByRole("button", { name: "Import" }).click();
    await page.getByText('"127.0.0.1" is or resolves to a private or reserved address.').waitFor();
    assert.equal(await field.inputValue(), "http://127.0.0.1/internal.txt");
    assert.equal(await field.getAttribute("aria-invalid"), "true");

    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the project page scrolls sideways by ${overflow} px at 390 px`);
    await page.screenshot({ path: path.join(dir, "project-390.png"), fullPage: true });
    await context.close();
  });

  it("the Jobs page is linked for owners and admins (readable at 390 px), and does not exist for members", async () => {
    const { context: admin, page } = await asAlice();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Jobs" }).click();
    await page.getByRole("heading", { name: "Background jobs" }).waitFor();
    await page.getByRole("heading", { name: /^Dead jobs/ }).waitFor();
    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], `axe: ${violations.join(", ")}`);
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the jobs page (and the navigation) scrolls sideways by ${overflow} px at 390 px`);
    await admin.close();

    const memberContext = await browser.newContext();
    const member = await memberContext.newPage();
    await signIn(member, "bob@acme.test");
    assert.equal(await member.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Jobs" }).count(), 0);
    await member.goto(`${app.baseUrl}/settings/jobs`);
    await member.getByTestId("admins-only").getByRole("heading", { name: "Admins only" }).waitFor();
    await memberContext.close();
  });
});
