import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chromium, type Browser, type Page } from "playwright-core";
import { startApp } from "./server";
import { CHROMIUM, CHROMIUM_ARGS, assertAccessible, confirmInDialog } from "./browser";

// TEN-7 in Debian's Chromium against the production build (embedded defaults, demo data): Erin, the demo guest, sees
// only the project shared with her and gets 404 on org-level pages; Alice (owner of Acme) opens a project's Sharing
// page and creates a one-use invite link, shown once; Carol (not in Acme) opens it, signs in, accepts and lands on
// the project as a guest; the used-up link then gets its own page. Pages are checked by axe-core and at 390 px.
const PASSWORD = "demo-password-2026";

let app: Awaited<ReturnType<typeof startApp>>;
let browser: Browser;

before(async () => {
  app = await startApp(3120);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

async function signIn(page: Page, email: string, next = "/projects") {
  await page.goto(`${app.baseUrl}/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${app.baseUrl}${next}`);
}


describe("project sharing in the browser (TEN-7)", () => {
  it("a guest sees only the project shared with her, and org-level pages are 404", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, "erin@partner.test");
    await page.getByRole("link", { name: "Website relaunch" }).waitFor();
    assert.equal(await page.getByRole("link", { name: "Q4 security review" }).count(), 0, "the guest sees an unshared project");
    assert.equal(await page.getByRole("link", { name: "Members" }).count(), 0, "the guest's navigation links the member list");
    await assertAccessible(page, "the guest's project list");
    for (const path of ["/settings/members", "/settings/api-keys", "/settings/audit", "/settings/billing", "/settings/integrations"]) {
      const response = await page.goto(`${app.baseUrl}${path}`);
      assert.equal(response?.status(), 404, `${path} for a guest`);
    }
    await context.close();
  });

  it("a manager creates a one-use link, shown once; another person signs in through it and lands on the project; the link is then used up", async () => {
    const owner = await browser.newContext();
    const alice = await owner.newPage();
    await signIn(alice, "alice@acme.test");
    await alice.getByRole("link", { name: "Q4 security review" }).click();
    await alice.waitForURL(/\/projects\/[0-9a-f-]{36}$/);
    const projectUrl = alice.url();
    await alice.getByRole("link", { name: /Sharing/ }).click();
    await alice.waitForURL(/\/sharing$/);
    await assertAccessible(alice, "the Sharing page");
    const links = alice.getByRole("region", { name: "Invite links" });
    await links.getByLabel("Role", { exact: true }).selectOption("editor");
    await links.getByLabel("Expires after (days, 1–30)").fill("7");
    await links.getByLabel("Maximum uses (1–1000)").fill("1");
    await links.getByRole("button", { name: "Create link" }).click();
    const shown = alice.getByTestId("new-project-link");
    await shown.waitFor();
    const link = await shown.getByRole("textbox", { name: "Invite link" }).inputValue();
    assert.match(link, /\/share\/[0-9a-f-]{36}\/tgp_/);
    await alice.reload();
    assert.equal(await alice.getByTestId("new-project-link").count(), 0, "the link is shown again after a reload");

    const outsider = await browser.newContext();
    const carol = await outsider.newPage();
    await carol.goto(link);
    await carol.getByRole("heading", { name: "Open “Q4 security review”" }).waitFor();
    await assertAccessible(carol, "the link page, signed out");
    const here = new URL(link).pathname;
    await carol.getByRole("link", { name: "Sign in" }).click();
    // The link page has an Email field of its own (its create-account form): fill the sign-in page's only once it is there.
    await carol.waitForURL(/\/sign-in\?next=/);
    await carol.getByRole("button", { name: "Sign in" }).waitFor();
    await carol.getByLabel("Email", { exact: true }).fill("carol@globex.test");
    await carol.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await carol.getByRole("button", { name: "Sign in" }).click();
    await carol.waitForURL(`${app.baseUrl}${here}`);
    await carol.getByRole("button", { name: "Accept and open the project" }).click();
    await carol.waitForURL(projectUrl);
    await carol.getByRole("heading", { name: "Q4 security review" }).waitFor();

    const another = await browser.newContext();
    const bob = await another.newPage();
    await bob.goto(link);
    await bob.getByTestId("link-refused").getByRole("heading", { name: "This link has been used up" }).waitFor();
    await assertAccessible(bob, "the used-up link page");
    await Promise.all([owner.close(), outsider.close(), another.close()]);
  });
});

describe("write-only credentials in the browser (ENC-1, ENC-5)", () => {
  it("an admin stores, replaces and deletes an integration secret; the page only ever shows its last 4 characters; a member is told it is for admins", async () => {
    const secret = "dub_e2e_0123456789abcdefWXYZ";
    const replacement = "dub_e2e_fedcba9876543210QRST";
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, "alice@acme.test");
    await page.goto(`${app.baseUrl}/settings/integrations`);
    const dub = page.getByRole("region", { name: "Dub" });
    await dub.getByTestId("cred-dub-status").getByText("No API key stored.").waitFor();
    await assertAccessible(page, "the integrations page");
    await dub.getByLabel("API key").fill(secret);
    await dub.getByRole("button", { name: "Save" }).click();
    await dub.getByTestId("cred-dub-status").getByText("••••WXYZ").waitFor();
    assert.ok(!(await page.content()).includes(secret), "the stored secret is in the page");
    await page.reload();
    assert.equal(await dub.getByLabel("Replace the API key").inputValue(), "", "the secret field is pre-filled");
    await dub.getByLabel("Replace the API key").fill(replacement);
    await dub.getByRole("button", { name: "Replace" }).click();
    await dub.getByTestId("cred-dub-status").getByText("••••QRST").waitFor();
    const html = await page.content();
    assert.ok(!html.includes(secret) && !html.includes(replacement), "a secret is in the page");
    await dub.getByRole("button", { name: "Delete" }).click();
    await confirmInDialog(page);
    await dub.getByTestId("cred-dub-status").getByText("No API key stored.").waitFor();
    await context.close();

    const memberContext = await browser.newContext();
    const bob = await memberContext.newPage();
    await signIn(bob, "bob@acme.test");
    await bob.goto(`${app.baseUrl}/settings/integrations`);
    await bob.getByTestId("admins-only").getByRole("heading", { name: "Admins only" }).waitFor();
    assert.equal(await bob.getByText("••••").count(), 0);
    await bob.goto(`${app.baseUrl}/account/credentials`);
    await assertAccessible(bob, "the personal credentials page");
    await memberContext.close();
  });
});
