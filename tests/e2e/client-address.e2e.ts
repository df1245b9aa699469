import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chromium, type Browser } from "playwright-core";
import { startApp } from "./server";

// RL-1 / AUD-1 / KEY-2 against the production server as `npm start` runs it, reached directly (no proxy): the client
// address is the socket's, whatever forwarding headers the client writes.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const FORGED = "10.9.9.5";

let app: Awaited<ReturnType<typeof startApp>>;
let browser: Browser;

before(async () => {
  app = await startApp(3101);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const forgedHeaders = (n: number) => ({
  "x-forwarded-for": `10.9.${Math.floor(n / 250)}.${(n % 250) + 1}`,
  "x-real-ip": `10.8.${Math.floor(n / 250)}.${(n % 250) + 1}`,
  forwarded: `for=10.7.0.${(n % 250) + 1}`,
  "x-vercel-forwarded-for": `10.6.0.${(n % 250) + 1}`,
  "x-tenantguard-client-ip": `10.5.0.${(n % 250) + 1}`,
});

describe("client address on a directly exposed production server", () => {
  it("a new forged address per request does not escape the per-IP limit on failed API authentication", async () => {
    const unknownKey = `tg_test_${"Q".repeat(43)}`;
    const statuses: number[] = [];
    for (let n = 0; n < 61; n++) {
      const res = await fetch(`${app.baseUrl}/api/v1/projects`, { headers: { authorization: `Bearer ${unknownKey}`, ...forgedHeaders(n) } });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    // RATE_LIMIT_CLASSES.anonymousIp: 60 a minute from one address, and every request above came from this one.
    assert.deepEqual(statuses.slice(0, 60), Array(60).fill(401));
    assert.equal(statuses[60], 429);
  });

  it("the session row records the socket's address, not the forged one", async () => {
    const context = await browser.newContext({ extraHTTPHeaders: { "x-forwarded-for": FORGED, "x-real-ip": FORGED, forwarded: `for=${FORGED}`, "x-tenantguard-client-ip": FORGED } });
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/sign-in`);
    await page.getByLabel("Email", { exact: true }).fill("alice@acme.test");
    await page.getByLabel("Password", { exact: true }).fill("demo-password-2026");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${app.baseUrl}/overview`);
    await page.goto(`${app.baseUrl}/account/sessions`);
    const row = page.locator("tr").filter({ hasText: "This session" });
    const text = await row.innerText();
    assert.match(text, /\b127\.0\.0\.1\b|::1/, `session row: ${text}`);
    assert.ok(!text.includes(FORGED), `session row: ${text}`);
    await context.close();
  });

  it("says at start what the demo flag permits", () => {
    assert.match(app.logs(), /ALLOW_EMBEDDED_IN_PRODUCTION=true: a demo deployment/);
    assert.match(app.logs(), /superuser/);
  });
});
