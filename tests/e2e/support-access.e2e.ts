import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chromium, type Browser, type Page } from "playwright-core";
import { startApp } from "./server";
import { CHROMIUM, CHROMIUM_ARGS, assertAccessible, confirmInDialog } from "./browser";

// TEN-8 in Debian's Chromium against the production build (embedded defaults, demo data): Alice (owner of Acme)
// grants Dana (the demo's platform operator) read-only access, her input kept after a refused submission; Bob (member)
// gets 404 on the page; Dana starts a support session, sees the banner on every page, is refused a write with a clear
// message, and ends the session; Alice revokes. Each page is checked by axe-core and must not scroll sideways at 390 px.

let app: Awaited<ReturnType<typeof startApp>>;
let browser: Browser;

before(async () => {
  app = await startApp(3130);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

async function signedIn(email: string): Promise<{ page: Page; close: () => Promise<void> }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${app.baseUrl}/sign-in?next=%2Fprojects`);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("demo-password-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${app.baseUrl}/projects`);
  return { page, close: () => context.close() };
}


describe("support access in the browser (TEN-8)", () => {
  it("owner grants, member is told it is for owners, operator enters read-only with a banner, is refused a write, ends the session; owner revokes", async () => {
    const alice = await signedIn("alice@acme.test");
    await alice.page.goto(`${app.baseUrl}/settings/support-access`);
    await assertAccessible(alice.page, "the support-access page");
    // A refused submission keeps what was chosen (the reason is too short).
    await alice.page.getByLabel("Duration").selectOption("120");
    await alice.page.getByLabel("Reason").fill("x");
    await alice.page.getByRole("button", { name: "Grant support access" }).click();
    await alice.page.getByText("at least 3 characters").waitFor();
    assert.equal(await alice.page.getByLabel("Duration").inputValue(), "120");
    assert.equal(await alice.page.getByLabel("Reason").inputValue(), "x");
    await alice.page.getByLabel("Reason").fill("Ticket 42: the export fails");
    await alice.page.getByRole("button", { name: "Grant support access" }).click();
    await alice.page.getByText(/Support access granted until/).waitFor();
    await alice.page.reload();
    await alice.page.getByTestId("support-grant-active").filter({ hasText: "dana@support.test" }).waitFor();

    const bob = await signedIn("bob@acme.test");
    await bob.page.goto(`${app.baseUrl}/settings/support-access`);
    await bob.page.getByTestId("admins-only").getByRole("heading", { name: "Owners only" }).waitFor();
    await bob.close();

    const dana = await signedIn("dana@support.test");
    await dana.page.goto(`${app.baseUrl}/support`);
    await assertAccessible(dana.page, "the operator's support page");
    await dana.page.getByTestId("support-consent").filter({ hasText: "Acme Corp" }).getByRole("button", { name: /Start support session/ }).click();
    await dana.page.waitForURL(`${app.baseUrl}/projects`);
    const banner = dana.page.getByTestId("support-banner");
    assert.match(await banner.innerText(), /Support access by Dana Support — read-only — ends at \d\d:\d\d UTC/);
    await dana.page.getByText("Website relaunch").first().waitFor();
    await assertAccessible(dana.page, "the projects page in a support session");
    await dana.page.getByLabel("New project name").fill("Written by support");
    await dana.page.getByRole("button", { name: "Create project" }).click();
    await dana.page.getByText(/This support session is read-only: nothing was changed/).waitFor();
    await dana.page.goto(`${app.baseUrl}/settings/members`);
    await banner.waitFor();
    await dana.page.getByRole("button", { name: "End session" }).click();
    await dana.page.waitForURL(`${app.baseUrl}/support`);
    assert.equal(await dana.page.getByTestId("support-banner").count(), 0);
    await dana.close();
    await alice.page.getByTestId("support-grant-active").filter({ hasText: "dana@support.test" }).getByRole("button", { name: "Revoke" }).click();
    await confirmInDialog(alice.page);
    // The grant moves from Active to Past (the page is revalidated), with who revoked it and when.
    await alice.page.getByTestId("support-grant-past").filter({ hasText: "dana@support.test" }).getByText(/revoked/).waitFor();
    await alice.close();
  });
});
