import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chromium, type Browser } from "playwright-core";
import { generate } from "otplib";
import { startApp } from "./server";

// IDN-2 / IDN-4 / IDN-6 in Debian's Chromium against the production build: the seeded TOTP user signs in in two
// steps, the session survives its short-lived token through the refresh cookie, and the sessions page shows it.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const DAVE = { email: "frank@acme.test", secret: "KRSXG5CUMVXGC3TUI5UWC4TEKRXXI4BS" };

let app: Awaited<ReturnType<typeof startApp>>;
let browser: Browser;

before(async () => {
  app = await startApp(3140);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

describe("account security", () => {
  it("a TOTP user signs in in two steps; the same code twice is refused; the session renews from the refresh cookie", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/sign-in`);
    await page.getByLabel("Email", { exact: true }).fill(DAVE.email);
    await page.getByLabel("Password", { exact: true }).fill("demo-password-2026");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/sign-in\/verify/);
    assert.equal((await context.cookies()).some((c) => c.name === "tg_session"), false, "no session before the second step");

    await page.getByLabel("Verification code").fill("000000");
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByText("That code is not valid.").waitFor();

    const code = await generate({ secret: DAVE.secret, epoch: Math.floor(Date.now() / 1000) });
    await page.getByLabel("Verification code").fill(code);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.waitForURL(`${app.baseUrl}/overview`);
    const cookies = await context.cookies();
    const refresh = cookies.find((c) => c.name === "tg_refresh");
    assert.ok(refresh?.httpOnly, "refresh cookie is HttpOnly");

    // The token is gone (as when it expires): the next page renews it from the refresh cookie.
    await context.clearCookies({ name: "tg_session" });
    await page.goto(`${app.baseUrl}/account/sessions`);
    await page.getByRole("heading", { name: "Your sessions" }).waitFor();
    const renewed = await context.cookies();
    assert.ok(renewed.some((c) => c.name === "tg_session"), "a new session token");
    assert.notEqual(renewed.find((c) => c.name === "tg_refresh")?.value, refresh.value, "the refresh token rotated");
    await page.getByRole("cell", { name: "Authenticator app" }).first().waitFor();

    // A second browser replaying the same code cannot sign in.
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await otherPage.goto(`${app.baseUrl}/sign-in`);
    await otherPage.getByLabel("Email", { exact: true }).fill(DAVE.email);
    await otherPage.getByLabel("Password", { exact: true }).fill("demo-password-2026");
    await otherPage.getByRole("button", { name: "Sign in" }).click();
    await otherPage.waitForURL(/\/sign-in\/verify/);
    await otherPage.getByLabel("Verification code").fill(code);
    await otherPage.getByRole("button", { name: "Verify" }).click();
    await otherPage.getByText("That code is not valid.").waitFor();

    // One more renewal uses the first token's child; then the first token, replayed, is reuse: the session ends.
    await context.clearCookies({ name: "tg_session" });
    await page.goto(`${app.baseUrl}/projects`);
    await page.getByRole("heading", { name: "Projects" }).waitFor();
    await context.clearCookies({ name: "tg_session" });
    await context.addCookies([{ ...refresh, expires: -1 }].map(({ name, value, domain, path }) => ({ name, value, domain, path })));
    await page.goto(`${app.baseUrl}/projects`);
    await page.waitForURL(/\/sign-in/);
    await other.close();
    await context.close();
  });

  it("passkey registration and sign-in with Chromium's virtual authenticator (WebAuthn over CDP)", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    const { authenticatorId } = (await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    })) as { authenticatorId: string };

    const passwordStep = async () => {
      await page.goto(`${app.baseUrl}/sign-in`);
      await page.getByLabel("Email", { exact: true }).fill("bob@acme.test");
      await page.getByLabel("Password", { exact: true }).fill("demo-password-2026");
      await page.getByRole("button", { name: "Sign in" }).click();
    };
    await passwordStep();
    await page.waitForURL(`${app.baseUrl}/overview`);
    await page.goto(`${app.baseUrl}/account/security`);
    await page.getByRole("button", { name: "Add a passkey" }).click();
    await page.getByText("Passkey added.").waitFor();
    const { credentials } = (await cdp.send("WebAuthn.getCredentials", { authenticatorId })) as { credentials: { signCount: number }[] };
    assert.equal(credentials.length, 1);

    // Signed out; the password step now asks for the second factor, and the passkey completes it.
    await context.clearCookies();
    await passwordStep();
    await page.waitForURL(/\/sign-in\/verify/);
    await page.getByRole("button", { name: "Use a passkey" }).click();
    await page.waitForURL(`${app.baseUrl}/overview`);
    await page.goto(`${app.baseUrl}/account/sessions`);
    await page.getByRole("cell", { name: "Passkey" }).first().waitFor();
    await context.close();
  });
});
