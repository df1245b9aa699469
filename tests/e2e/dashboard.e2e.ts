import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chromium, type Browser, type Page } from "playwright-core";
import { startApp } from "./server";
import { confirmInDialog } from "./browser";

// End-to-end in Debian's Chromium against `next build && next start` (never a downloaded browser).
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let app: Awaited<ReturnType<typeof startApp>>;
let browser: Browser;

before(async () => {
  app = await startApp(3106);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

async function signIn(page: Page, email: string) {
  await page.goto(`${app.baseUrl}/projects`);
  await page.waitForURL(/\/sign-in\?next=%2Fprojects/);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("demo-password-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${app.baseUrl}/projects`);
}

describe("dashboard", () => {
  it("anonymous visitors are sent to sign-in, API callers get 401 JSON, every response has a request id", async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${app.baseUrl}/projects`);
    assert.match(page.url(), /\/sign-in\?next=%2Fprojects$/);
    assert.ok(response?.headers()["x-request-id"]);
    const api = await fetch(`${app.baseUrl}/api/session`, { headers: { "x-request-id": "e2e-request-0001" } });
    assert.equal(api.status, 401);
    assert.equal(api.headers.get("content-type"), "application/problem+json");
    assert.equal(api.headers.get("x-request-id"), "e2e-request-0001");
    assert.equal(((await api.json()) as { code: string }).code, "unauthenticated");
    await page.close();
  });

  it("serves the embedded provider's public JWKS, with no private key material (IDN-2)", async () => {
    const res = await fetch(`${app.baseUrl}/.well-known/jwks.json`);
    assert.equal(res.status, 200);
    const { keys } = (await res.json()) as { keys: Record<string, string>[] };
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!.alg, "RS256");
    assert.equal(keys[0]!.kty, "RSA");
    assert.ok(keys[0]!.kid);
    for (const secret of ["d", "p", "q", "dp", "dq", "qi"]) assert.equal(keys[0]![secret], undefined);
  });

  it("wrong password shows an error and no session", async () => {
    const page = await browser.newPage();
    await page.goto(`${app.baseUrl}/sign-in`);
    await page.getByLabel("Email", { exact: true }).fill("alice@acme.test");
    await page.getByLabel("Password", { exact: true }).fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Email or password is incorrect.").waitFor();
    assert.equal((await page.context().cookies()).some((c) => c.name === "tg_session"), false);
    await page.close();
  });

  it("sign in, create a project, switch org: the project is not listed there; sign out", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, "alice@acme.test");
    await page.getByTestId("active-org").getByText("Acme Corp").waitFor();

    const cookie = (await context.cookies()).find((c) => c.name === "tg_session");
    assert.ok(cookie, "session cookie set");
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Lax");

    // A field error for bad input, nothing created.
    await page.getByLabel("New project name").fill("");
    await page.getByRole("button", { name: "Create project" }).click();
    await page.getByText("Enter a project name.").waitFor();

    const name = `E2E project ${Date.now()}`;
    await page.getByLabel("New project name").fill(name);
    await page.getByRole("button", { name: "Create project" }).click();
    await page.getByRole("link", { name }).waitFor();
    const href = await page.getByRole("link", { name }).getAttribute("href");
    assert.match(href ?? "", /^\/projects\/[0-9a-f-]{36}$/);

    await page.getByLabel("Organisation").selectOption({ label: "Globex (member)" });
    await page.getByRole("button", { name: "Switch" }).click();
    await page.getByTestId("active-org").getByText("Globex").waitFor();
    await page.getByRole("link", { name: "Partner onboarding" }).waitFor();
    assert.equal(await page.getByRole("link", { name }).count(), 0, "Acme's project is not listed in Globex");

    // TEN-4: the Acme project's URL, opened while active in Globex, is a 404.
    const foreign = await page.goto(`${app.baseUrl}${href}`);
    assert.equal(foreign?.status(), 404);

    await page.goto(`${app.baseUrl}/projects`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/sign-in/);
    const stolen = await fetch(`${app.baseUrl}/api/session`, { headers: { cookie: `tg_session=${cookie.value}` } });
    assert.equal(stolen.status, 401, "a signed-out session's token no longer works (IDN-4)");
    await context.close();
  });

  it("API key: created and shown once, used by a partner, revoked; the next call is refused and the log shows both", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, "alice@acme.test");
    await page.goto(`${app.baseUrl}/settings/api-keys`);
    const name = `E2E partner ${Date.now()}`;
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByRole("button", { name: "Create API key" }).click();
    const plaintext = await page.getByLabel("New API key").inputValue();
    assert.match(plaintext, /^tg_(live|test)_[0-9A-Za-z]{43}$/);
    await page.getByRole("button", { name: "I have copied it" }).click();
    await page.getByTestId("new-api-key").waitFor({ state: "detached" });

    const call = () => fetch(`${app.baseUrl}/api/v1/projects`, { headers: { authorization: `Bearer ${plaintext}` } });
    for (let i = 0; i < 3; i++) assert.equal((await call()).status, 200);
    const row = page.getByTestId("api-key-row").filter({ hasText: name });
    await row.getByRole("button", { name: "Revoke" }).click();
    await confirmInDialog(page);
    await row.getByText("revoked", { exact: true }).waitFor();
    // KEY-2: the very next request is refused, although this server instance has the key cached.
    const refused = await call();
    assert.equal(refused.status, 401);

    // The log is written in the background (about once a second); the page shows it once it is there.
    const deadline = Date.now() + 15_000;
    for (;;) {
      await page.reload();
      const logRow = page.getByTestId("api-key-row").filter({ hasText: name });
      await logRow.getByText("Recent verifications", { exact: true }).click();
      const table = logRow.getByRole("table", { name: `Recent verifications of ${name}` });
      if ((await table.count()) > 0 && (await table.getByRole("row").count()) === 3) {
        const cells = await table.getByRole("row").evaluateAll((rows) => rows.slice(1).map((r) => [...r.querySelectorAll("td")].slice(1, 4).map((td) => td.textContent)));
        assert.deepEqual(cells, [
          ["failure", "1", "revoked"],
          ["success", "3", "—"],
        ]);
        break;
      }
      assert.ok(Date.now() < deadline, "the verification log did not appear within 15 s");
      await new Promise((r) => setTimeout(r, 500));
    }
    await context.close();
  });

  it("KEY-1: a new or rolled key's secret travels to the browser once and is never sent back to the server", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, "alice@acme.test");
    // Everything the page sends from here on: URL and body of every request (server actions post their arguments).
    const sent: { url: string; body: string; action: boolean }[] = [];
    page.on("request", (r) => sent.push({ url: r.url(), body: r.postData() ?? "", action: r.headers()["next-action"] !== undefined }));
    await page.goto(`${app.baseUrl}/settings/api-keys`);

    const secrets: string[] = [];
    const stamp = Date.now();
    const createForm = page.getByRole("form", { name: "Create API key" });
    for (const name of [`E2E once A ${stamp}`, `E2E once B ${stamp}`]) {
      // The second submit happens while the first secret is still on screen, in the form's state.
      await createForm.getByLabel("Name", { exact: true }).fill(name);
      await createForm.getByRole("button", { name: "Create API key" }).click();
      await page.getByRole("heading", { name: `Copy the key for “${name}” now` }).waitFor();
      secrets.push(await page.getByTestId("new-api-key").getByLabel("New API key").inputValue());
    }
    // A refused submit after a shown secret: the form's next request still carries no secret.
    await createForm.getByLabel("Name", { exact: true }).fill("");
    await createForm.getByRole("button", { name: "Create API key" }).click();
    await page.getByText("Enter a name for the key.").waitFor();

    // Roll twice: the second roll is submitted while the first roll's secret is on screen.
    const row = page.getByTestId("api-key-row").filter({ hasText: `E2E once A ${stamp}` });
    for (let i = 0; i < 2; i++) {
      await row.getByRole("button", { name: "Roll" }).click();
      await confirmInDialog(page);
      const reveal = row.getByTestId("new-api-key");
      await reveal.waitFor();
      await page.waitForFunction(
        ([known]) => {
          const inputs = [...document.querySelectorAll<HTMLInputElement>('[data-testid="api-key-row"] [data-testid="new-api-key"] input')];
          return inputs.some((input) => input.value && !known!.includes(input.value));
        },
        [secrets],
      );
      secrets.push(await reveal.getByLabel("New API key").inputValue());
    }

    assert.equal(new Set(secrets).size, 4);
    for (const secret of secrets) assert.match(secret, /^tg_(live|test)_[0-9A-Za-z]{43}$/);
    // The recording sees what the forms send: the typed names are in the server actions' request bodies.
    const actions = sent.filter((r) => r.action);
    assert.ok(actions.length >= 5, `server-action requests recorded: ${actions.length}`);
    assert.ok(actions.some((r) => r.body.includes(`E2E once B ${stamp}`)), "the create form's fields are visible in the recorded bodies");
    for (const request of sent) {
      for (const secret of secrets) {
        // The whole key, and its secret part on its own (a prefix is public; the rest never leaves the browser).
        const secretPart = secret.slice(secret.lastIndexOf("_") + 1);
        assert.ok(!request.body.includes(secretPart) && !request.url.includes(secretPart), `a request to ${request.url} carried a key's secret`);
      }
    }
    await context.close();
  });

  it("a member cannot delete; an admin can", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, "bob@acme.test");
    await page.getByRole("link", { name: "Website relaunch" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Delete" }).count(), 0);
    await context.close();

    const admin = await browser.newContext();
    const adminPage = await admin.newPage();
    await signIn(adminPage, "carol@globex.test");
    const row = adminPage.getByTestId("project-row").filter({ hasText: "Partner onboarding" });
    await row.getByRole("button", { name: "Delete" }).click();
    await confirmInDialog(adminPage);
    await adminPage.getByRole("link", { name: "Partner onboarding" }).waitFor({ state: "detached" });
    await admin.close();
  });
});
