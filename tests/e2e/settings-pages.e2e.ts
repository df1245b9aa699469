import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { Webhook } from "svix";
import { startApp } from "./server";
import { CHROMIUM, CHROMIUM_ARGS, assertAccessible, confirmInDialog, signedInState } from "./browser";

// WH-2/WH-3, BIL-1, BIL-2 and TEN-3 in Debian's Chromium against the production build (embedded defaults, demo
// data, no Stripe or Mux keys): the webhook log with a real failed Clerk delivery and its Replay, the billing page's
// plan, usage bars and "not configured" notice, a project's videos page without Mux, and the members page (invite
// link shown once, pending invite revoked, role changed). Admin-only pages tell a member they are for admins. Each page is
// checked by axe-core and must not scroll sideways at 390 px.
/** A Svix signing secret for Clerk's endpoint, for this run only. */
const CLERK_SECRET = `whsec_${randomBytes(24).toString("base64")}`;

let app: Awaited<ReturnType<typeof startApp>>;
let browser: Browser;
/** Alice (owner of Acme) and Bob (member of Acme), signed in once each. */
let alice: BrowserContextOptions["storageState"];
let bob: BrowserContextOptions["storageState"];

before(async () => {
  app = await startApp(3311, { CLERK_WEBHOOK_SECRET: CLERK_SECRET });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  alice = await signedIn("alice@acme.test");
  bob = await signedIn("bob@acme.test");
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const signedIn = (email: string) => signedInState(browser, app.baseUrl, email);

async function as(state: BrowserContextOptions["storageState"], options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ ...options, storageState: state });
  return { context, page: await context.newPage() };
}


/** A Clerk delivery signed as Svix signs it (HMAC-SHA256 over `id.timestamp.body` with the endpoint secret). */
async function deliverClerk(id: string, body: object): Promise<Response> {
  const raw = JSON.stringify(body);
  const now = new Date();
  const signature = new Webhook(CLERK_SECRET).sign(id, now, raw);
  return fetch(`${app.baseUrl}/api/webhooks/clerk`, {
    method: "POST",
    headers: { "content-type": "application/json", "svix-id": id, "svix-timestamp": String(Math.floor(now.getTime() / 1000)), "svix-signature": signature },
    body: raw,
  });
}

describe("settings pages in the dashboard", () => {
  it("webhook log: a Clerk delivery that fails (it would remove Acme's last owner) is listed as failed for admins; Replay fails again and says so; members are told it is for admins", async () => {
    // A real failure path: deleting Alice's membership would leave Acme without an owner, so the effect is refused
    // (LastOwnerRefused), the delivery answers 500 and is stored as failed in Acme's log.
    const eventId = `msg_${randomBytes(12).toString("hex")}`;
    const res = await deliverClerk(eventId, {
      object: "event",
      type: "organizationMembership.deleted",
      timestamp: Date.now(),
      data: { role: "org:admin", updated_at: Date.now(), organization: { id: "org_acme" }, public_user_data: { user_id: "user_alice" } },
    });
    assert.equal(res.status, 500, await res.text());

    const { context, page } = await as(alice);
    await page.goto(`${app.baseUrl}/projects`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" }).click();
    await page.getByRole("heading", { name: "Webhooks", level: 1 }).waitFor();
    const clerk = page.getByRole("region", { name: "Clerk" });
    await clerk.getByText("/api/webhooks/clerk").waitFor();
    await page.getByRole("region", { name: "Stripe" }).getByText("Not configured on this deployment (no signing secret)").waitFor();
    const delivery = clerk.getByTestId("webhook-delivery").filter({ hasText: eventId });
    assert.equal(await delivery.count(), 1, await page.locator("main").innerText());
    await delivery.getByText("failed", { exact: true }).waitFor();
    await delivery.getByText("LastOwnerRefused").waitFor();

    // WH-3: Replay re-runs it from the stored copy; Acme still has one owner, so it fails again, and the page says so.
    const replay = delivery.getByRole("form", { name: `Replay Clerk organizationMembership.deleted ${eventId}` });
    await replay.getByRole("button", { name: "Replay" }).click();
    await replay.getByText("The replay failed again; the error is shown on the delivery.").waitFor();
    await delivery.getByText("failed", { exact: true }).waitFor();
    // Alice is still the owner: nothing was applied.
    await page.goto(`${app.baseUrl}/settings/members`);
    await page.getByTestId("member-row").filter({ hasText: "alice@acme.test" }).getByText(/^owner · joined/).waitFor();
    await page.goto(`${app.baseUrl}/settings/webhooks`);
    await assertAccessible(page, "the webhooks page");
    await context.close();

    const member = await as(bob);
    await member.page.goto(`${app.baseUrl}/projects`);
    assert.equal(await member.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" }).count(), 0);
    // TEN-3: a member is told the page is for admins; nothing of it is shown.
    await member.page.goto(`${app.baseUrl}/settings/webhooks`);
    await member.page.getByTestId("admins-only").getByRole("heading", { name: "Admins only" }).waitFor();
    assert.equal(await member.page.getByText(eventId).count(), 0);
    await member.context.close();
  });

  it("billing without Stripe keys: Free plan, usage bars, the not-configured notice, no purchase; members are told it is for admins", async () => {
    const { context, page } = await as(alice);
    await page.goto(`${app.baseUrl}/projects`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Billing" }).click();
    await page.getByRole("heading", { name: "Billing", level: 1 }).waitFor();
    await page.getByTestId("billing-not-configured").getByText("Billing is not configured on this deployment").waitFor();
    assert.equal(await page.getByTestId("billing-plan").innerText(), "Free");
    assert.equal(await page.getByTestId("billing-status").innerText(), "Free (no subscription)");
    // Acme's demo data has two projects: the bar says so, in text and as the progressbar's value.
    const projects = page.getByRole("progressbar", { name: "Projects" });
    const text = (await projects.getAttribute("aria-valuetext")) ?? "";
    assert.match(text, /^2 of \d+ \(\d+%\)$/);
    assert.equal(await projects.getAttribute("aria-valuenow"), text.match(/\((\d+)%\)$/)![1]);
    for (const name of ["Projects", "API keys", "Storage", "Members"]) assert.equal(await page.getByRole("progressbar", { name }).count(), 1, `a usage bar for ${name}`);
    assert.equal(await page.getByRole("button", { name: /upgrade|manage billing/i }).count(), 0, "nothing to buy without Stripe");
    await assertAccessible(page, "the billing page");
    await context.close();

    const member = await as(bob);
    await member.page.goto(`${app.baseUrl}/projects`);
    assert.equal(await member.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Billing" }).count(), 0);
    await member.page.goto(`${app.baseUrl}/settings/billing`);
    await member.page.getByTestId("admins-only").getByRole("heading", { name: "Admins only" }).waitFor();
    assert.equal(await member.page.getByTestId("billing-plan").count(), 0);
    await member.context.close();
  });

  it("a project's videos without Mux keys: the not-configured notice, no upload, for a member too", async () => {
    const { context, page } = await as(bob);
    await page.goto(`${app.baseUrl}/projects`);
    await page.getByRole("link", { name: "Website relaunch" }).click();
    await page.waitForURL(/\/projects\/[0-9a-f-]{36}$/);
    const res = await page.goto(`${page.url()}/videos`);
    assert.equal(res?.status(), 200);
    await page.getByRole("heading", { name: "Videos", level: 1 }).waitFor();
    await page.getByTestId("video-not-configured").getByText("Video is not configured on this deployment").waitFor();
    assert.equal(await page.locator('input[type="file"]').count(), 0, "no upload without Mux");
    await assertAccessible(page, "the videos page");
    await context.close();
  });

  it("members: an invalid invite keeps the input; an invite link is shown once, the invite listed and revoked; a role changed and back; members only read", async () => {
    const { context, page } = await as(alice);
    await page.goto(`${app.baseUrl}/projects`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Members" }).click();
    await page.getByRole("heading", { name: "Members", level: 1 }).waitFor();
    const invite = page.getByRole("region", { name: "Invite a member" });
    const email = invite.getByLabel("Email");

    // Input kept on error, with the field marked.
    await email.fill("not-an-email");
    await invite.getByLabel("Role").selectOption("admin");
    await invite.getByRole("button", { name: "Invite" }).click();
    await invite.getByText("Enter a valid email address.").waitFor();
    assert.equal(await email.inputValue(), "not-an-email");
    assert.equal(await email.getAttribute("aria-invalid"), "true");
    assert.equal(await invite.getByLabel("Role").inputValue(), "admin");
    assert.equal(await page.getByTestId("new-invite-link").count(), 0);

    // The link is shown once; the pending invite is listed (without it).
    const address = `new-${Date.now()}@acme.test`;
    await email.fill(address);
    await invite.getByRole("button", { name: "Invite" }).click();
    const shown = page.getByTestId("new-invite-link");
    await shown.getByText("It will not be shown again.").waitFor();
    const link = await shown.getByLabel("Invite link").inputValue();
    assert.ok(link.startsWith(`${app.baseUrl}/invite/`), link);
    const row = page.getByTestId("invite-row").filter({ hasText: address });
    await row.waitFor();
    await row.getByText(/^admin · invited by/).waitFor();
    await assertAccessible(page, "the members page with a new invite link");
    await page.reload();
    await page.getByRole("heading", { name: "Members", level: 1 }).waitFor();
    assert.equal(await page.getByTestId("new-invite-link").count(), 0, "the link is not shown again");
    assert.equal(await page.locator("body").innerText().then((t) => t.includes(link)), false, "the page never carries the link again");

    // Revoked: gone from the pending list.
    await page.getByTestId("invite-row").filter({ hasText: address }).getByRole("button", { name: "Revoke" }).click();
    await confirmInDialog(page);
    await page.getByTestId("invite-row").filter({ hasText: address }).waitFor({ state: "detached" });

    // Role change: Bob member → admin (the list shows it), then back.
    for (const role of ["admin", "member"]) {
      const bobRow = page.getByTestId("member-row").filter({ hasText: "bob@acme.test" });
      await bobRow.getByLabel(/^Role of /).selectOption(role);
      await bobRow.getByRole("button", { name: "Change role" }).click();
      await page.getByTestId("member-row").filter({ hasText: "bob@acme.test" }).getByText(new RegExp(`^${role} · joined`)).waitFor();
    }
    await context.close();

    // A member reads the list, and manages nothing.
    const member = await as(bob);
    const res = await member.page.goto(`${app.baseUrl}/settings/members`);
    assert.equal(res?.status(), 200);
    await member.page.getByRole("heading", { name: "Members", level: 1 }).waitFor();
    assert.equal(await member.page.getByRole("region", { name: "Invite a member" }).count(), 0);
    assert.equal(await member.page.getByRole("heading", { name: "Pending invites" }).count(), 0);
    assert.equal(await member.page.getByRole("button", { name: "Change role" }).count(), 0);
    await member.page.getByTestId("member-row").filter({ hasText: "alice@acme.test" }).waitFor();
    await assertAccessible(member.page, "the members page for a member");
    await member.context.close();
  });
});
