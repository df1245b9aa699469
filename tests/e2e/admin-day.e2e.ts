import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page, type Request } from "playwright-core";
import { startApp } from "./server";
import { assertAccessible, CHROMIUM, CHROMIUM_ARGS } from "./browser";
import { startClamd, type Clamd } from "../helpers/clamd";

// An org admin's full day in Debian's Chromium against the production build (issue 20, OPS-3): sign in, create a
// project, upload a document and watch a real clamd scan it, invite a member who joins and gets a project grant,
// create an API key and call the partner API with it, revoke it and see it refused, verify the audit chain, open the
// Security Center and run every check. Then a member and a guest, who reach neither the admin pages nor their actions.
// axe-core on every page visited; a full-page screenshot of each in test-results/screenshots/ (kept as artefacts).
// Selectors are roles and labels only, so the test holds while the layout changes.

const PASSWORD = "demo-password-2026";
const SCREENSHOTS = path.join(process.cwd(), "test-results", "screenshots");

let app: Awaited<ReturnType<typeof startApp>>;
let browser: Browser;
let clamd: Clamd;
let dir: string;
/** Server-action requests the admin made, replayed later with a member's and a guest's cookies. */
const captured: { runChecks?: Request; createKey?: Request } = {};

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  dir = mkdtempSync(path.join(tmpdir(), "tenantguard-e2e-admin-day-"));
  clamd = await startClamd();
  app = await startApp(3240, {
    CLAMAV_HOST: clamd.host,
    CLAMAV_PORT: String(clamd.port),
    CLAMAV_MAX_BYTES: String(clamd.streamMaxBytes),
    STORAGE_ROOT: path.join(dir, "storage"),
    FILE_URL_KEY_FILE: path.join(dir, "file-url-secret.json"),
    JOBS_POLL_INTERVAL_MS: "250",
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await app?.stop();
  await clamd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** axe and 390 px on the page as it is, and its screenshot. */
async function visited(page: Page, name: string) {
  await assertAccessible(page, name);
  await page.screenshot({ path: path.join(SCREENSHOTS, `admin-day-${name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.png`), fullPage: true });
}

async function signIn(email: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${app.baseUrl}/sign-in?next=%2Fprojects`);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${app.baseUrl}/projects`);
  return { context, page };
}

/** Confirms a destructive button: the browser's confirm() today, an in-page confirmation dialog where there is one. */
async function confirmed(page: Page, click: () => Promise<void>, confirmName: RegExp) {
  const onDialog = (d: { accept: () => Promise<void> }) => void d.accept();
  page.on("dialog", onDialog);
  await click();
  const dialog = page.getByRole("alertdialog").or(page.getByRole("dialog"));
  if (await dialog.first().isVisible({ timeout: 1_000 }).catch(() => false)) await dialog.first().getByRole("button", { name: confirmName }).click();
  page.off("dialog", onDialog);
}

/** Replays an admin's server-action request with someone else's cookies (same origin, so only authorisation decides). */
async function replay(request: Request, context: BrowserContext): Promise<{ status: number; body: string }> {
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const headers = Object.fromEntries(Object.entries(request.headers()).filter(([k]) => !["cookie", "content-length"].includes(k)));
  const res = await fetch(request.url(), { method: "POST", headers: { ...headers, cookie, origin: app.baseUrl }, body: new Uint8Array(request.postDataBuffer() ?? Buffer.alloc(0)) });
  return { status: res.status, body: await res.text() };
}

const nextAction = (page: Page) => page.waitForRequest((r) => r.method() === "POST" && Boolean(r.headers()["next-action"]));

describe("an admin's full day", () => {
  it("signs in, creates a project, uploads a document that is scanned, invites a member and grants a project, uses and revokes an API key, verifies the audit chain, opens the Security Center and runs every check", async () => {
    const { context, page } = await signIn("alice@acme.test");
    await visited(page, "projects");

    // A project, and a document scanned by clamd (the in-process worker; the page refreshes while it is pending).
    const project = `Admin day ${Date.now()}`;
    await page.getByLabel("New project name").fill(project);
    await page.getByRole("button", { name: "Create project" }).click();
    await page.getByRole("link", { name: project }).click();
    await page.waitForURL(/\/projects\/[0-9a-f-]{36}$/);
    const projectUrl = page.url();
    const uploaded = page.waitForResponse((r) => r.url().includes("/api/documents/upload") && r.request().method() === "POST");
    await page.locator('input[type="file"]').setInputFiles({ name: "minutes.txt", mimeType: "text/plain", buffer: Buffer.from(`board minutes ${Date.now()}\n`) });
    assert.equal((await uploaded).status(), 201);
    const row = page.getByTestId("document-row").filter({ hasText: "minutes.txt" });
    await row.getByText("Clean", { exact: true }).waitFor({ timeout: 30_000 });
    await visited(page, "project with a scanned document");

    // A member invited; they join through the link shown once.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Members" }).click();
    await page.getByRole("heading", { name: "Members", level: 1 }).waitFor();
    const email = `dana-${Date.now()}@acme.test`;
    const invite = page.getByRole("region", { name: "Invite a member" });
    await invite.getByLabel("Email").fill(email);
    await invite.getByLabel("Role").selectOption("member");
    await invite.getByRole("button", { name: "Invite" }).click();
    const link = await page.getByTestId("new-invite-link").getByLabel("Invite link").inputValue();
    await visited(page, "members with a new invite link");
    const joining = await browser.newContext();
    const dana = await joining.newPage();
    await dana.goto(link);
    await dana.getByRole("heading", { name: /^Join / }).waitFor();
    await assertAccessible(dana, "the invite page");
    await dana.getByLabel("Your name (optional)").fill("Dana Day");
    await dana.getByLabel("Password (at least 12 characters)").fill("dana-password-2026");
    await dana.getByRole("button", { name: "Create account and join" }).click();
    await dana.waitForURL((url) => !url.pathname.startsWith("/invite/"));
    await joining.close();

    // The new member gets a grant on the project.
    await page.goto(projectUrl);
    await page.getByRole("link", { name: /Sharing/ }).click();
    await page.waitForURL(/\/sharing$/);
    const share = page.getByRole("region", { name: "Share with someone" });
    await share.getByLabel("Email").fill(email);
    await share.getByLabel("Role").selectOption("editor");
    await share.getByRole("button", { name: "Share" }).click();
    await page.getByTestId("grant-row").filter({ hasText: email }).getByText("editor", { exact: true }).first().waitFor();
    await visited(page, "sharing with a new grant");

    // An API key: shown once, used from outside the browser, revoked, refused on the next call.
    await page.goto(`${app.baseUrl}/settings/api-keys`);
    const keyName = `Admin day key ${Date.now()}`;
    await page.getByLabel("Name", { exact: true }).fill(keyName);
    const createKey = nextAction(page);
    await page.getByRole("button", { name: "Create API key" }).click();
    captured.createKey = await createKey;
    const secret = await page.getByLabel("New API key").inputValue();
    assert.match(secret, /^tg_(live|test)_[0-9A-Za-z]{43}$/);
    await page.getByRole("button", { name: "I have copied it" }).click();
    const call = () => fetch(`${app.baseUrl}/api/v1/projects?limit=100`, { headers: { authorization: `Bearer ${secret}` } });
    const ok = await call();
    assert.equal(ok.status, 200);
    const listed = (await ok.json()) as { data: { name: string }[] };
    assert.ok(listed.data.some((p) => p.name === project), "the key lists the project created today");
    await visited(page, "api keys");
    const keyRow = page.getByTestId("api-key-row").filter({ hasText: keyName });
    await confirmed(page, () => keyRow.getByRole("button", { name: "Revoke" }).click(), /Revoke/);
    await keyRow.getByText("revoked", { exact: true }).waitFor();
    assert.equal((await call()).status, 401, "KEY-2: the revoked key is refused on the next request");

    // The audit log: a checkpoint signed, the chain verified.
    await page.goto(`${app.baseUrl}/settings/audit`);
    await page.getByRole("heading", { name: "Audit log", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Sign checkpoint now" }).click();
    await page.getByText(/Checkpoint signed at entry \d+/).waitFor();
    await page.getByRole("button", { name: "Verify chain" }).click();
    await page.getByRole("status").filter({ hasText: /Chain intact: \d+ entries verified/ }).waitFor();
    await visited(page, "audit log verified");
    await context.close();
  });

  it("opens the Security Center and runs every check: each control shows a live status and when it last ran", async () => {
    const { context, page } = await signIn("alice@acme.test");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Security Center" }).click();
    await page.getByRole("heading", { name: "Security Center", level: 1 }).waitFor();
    const controls = page.getByRole("table", { name: "Controls and their live status in this organisation" });
    await controls.waitFor();
    await visited(page, "security center before a run");

    const run = nextAction(page);
    await page.getByRole("button", { name: "Run all checks" }).click();
    captured.runChecks = await run;
    await page.getByRole("status").filter({ hasText: /^\d+ checks ran/ }).waitFor({ timeout: 60_000 });
    // The page reloads the table from the stored runs: no check-watched control is left "not run".
    await page.getByText(/^Last ran /).first().waitFor();
    const statuses = await controls.getByRole("row").evaluateAll((rows) => rows.slice(1).map((r) => r.querySelectorAll("td")[0]?.textContent ?? ""));
    assert.ok(statuses.length >= 60, `${statuses.length} controls listed`);
    assert.equal(statuses.filter((s) => s.startsWith("Not run yet")).length, 0, statuses.join(" | "));
    assert.ok(statuses.some((s) => s.startsWith("Pass")), "some control passes");
    await page.getByText(/ · \d+ check\(s\)/).first().waitFor(); // the run is in the history
    for (const chart of ["Audit activity", "Rate-limit hits", "Webhook deliveries by outcome", "Security events by severity"]) {
      await page.getByRole("figure", { name: chart }).waitFor();
    }
    // Run now on one check: its own result, stored.
    await page.getByRole("button", { name: /^Run now\s*:\s*RLS coverage/ }).first().click();
    await page.getByRole("status").filter({ hasText: /^Check ran/ }).first().waitFor({ timeout: 30_000 });
    await visited(page, "security center after run all");
    await context.close();
  });

  it("exports the evidence pack from the Security Center", async () => {
    const { context, page } = await signIn("alice@acme.test");
    await page.goto(`${app.baseUrl}/security`);
    await page.getByRole("link", { name: "Export evidence pack" }).click();
    await page.getByRole("heading", { name: "Evidence pack", level: 1 }).waitFor();
    await visited(page, "evidence pack");
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download evidence pack (.zip)" }).click();
    const file = await (await download).path();
    const { readFileSync } = await import("node:fs");
    assert.equal(readFileSync(file).subarray(0, 2).toString("latin1"), "PK", "the pack is a zip archive");
    await context.close();
  });
});

describe("members and guests on an admin's pages", () => {
  const adminPages = ["/settings/api-keys", "/settings/audit", "/settings/billing", "/settings/integrations", "/settings/jobs", "/settings/webhooks", "/settings/support-access"];

  for (const [who, email] of [
    ["a member", "bob@acme.test"],
    ["a guest", "erin@partner.test"],
  ] as const) {
    it(`${who} is kept out of the Security Center and of admin settings (a member is told so, a guest gets 404), and the admin's actions refuse them`, async () => {
      assert.ok(captured.runChecks && captured.createKey, "the admin's day ran first and captured its actions");
      const { context, page } = await signIn(email);
      assert.equal(await page.getByRole("link", { name: "Security Center" }).count(), 0, "no Security Center link");
      const res = await page.goto(`${app.baseUrl}/security`);
      if (who === "a guest") {
        // TEN-7: a guest has its projects only; every org-level page is a 404 for it.
        assert.equal(res?.status(), 404);
      } else {
        assert.equal(res?.status(), 200);
        await page.getByRole("heading", { name: "Security Center", level: 1 }).waitFor();
        await page.getByText(/The Security Center is for organisation admins and owners/).waitFor();
        assert.equal(await page.getByRole("table").count(), 0);
      }
      assert.equal(await page.getByRole("button", { name: /Run/ }).count(), 0);
      await visited(page, `security center for ${who}`);
      // A member may know the org's admin pages exist and is told whom to ask; a guest (TEN-7) gets 404.
      for (const p of adminPages) {
        const r = await page.goto(`${app.baseUrl}${p}`);
        if (who === "a guest") {
          assert.equal(r?.status(), 404, `${p} for ${who}`);
        } else {
          assert.equal(r?.status(), 200, `${p} for ${who}`);
          await page.getByRole("heading", { name: /^(Admins|Owners) only$/, level: 1 }).waitFor();
        }
      }
      for (const [name, request] of Object.entries(captured)) {
        const answer = await replay(request!, context);
        assert.equal(answer.status, 200, `${name}: the action answers with its refusal`);
        assert.match(answer.body, /Only organisation admins and owners can do this\./, `${name} for ${who}`);
      }
      await context.close();
    });
  }
});
