import assert from "node:assert/strict";
import { createRequire } from "node:module";
import type { Browser, BrowserContextOptions, Page } from "playwright-core";

/** Debian's Chromium (never a downloaded browser), headless, with nothing that reaches the network by itself. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** axe-core's browser bundle, when the package is installed. */
export const AXE = (() => {
  try {
    return createRequire(__filename).resolve("axe-core/axe.min.js");
  } catch {
    return null;
  }
})();

/**
 * axe-core's WCAG 2.1 A/AA violations on the page as it is (`serious` and `critical` only with `seriousOnly`), each as
 * "impact id: targets". The document's <title> can arrive after the content (Next.js streams metadata, and a refresh
 * re-renders it): this waits up to 5 s for it, so axe judges the page as it settles; a page that never gets one fails.
 */
export async function axeViolations(page: Page, options: { seriousOnly?: boolean } = {}): Promise<string[]> {
  assert.ok(AXE, "axe-core is installed");
  await page.waitForFunction(() => document.title.trim() !== "", undefined, { timeout: 5_000 }).catch(() => undefined);
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return result.violations.map((v) => ({ impact: v.impact, text: `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}` }));
  });
  return violations.filter((v) => !options.seriousOnly || v.impact === "serious" || v.impact === "critical").map((v) => v.text);
}

/** The page as it is: no WCAG 2.1 A/AA violation by axe-core, and no sideways scroll at 390 px (the viewport is restored). */
export async function assertAccessible(page: Page, what: string) {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `axe on ${what}: ${violations.join(", ")}`);
  const viewport = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${what} scrolls sideways by ${overflow} px at 390 px`);
  if (viewport) await page.setViewportSize(viewport);
}

/** Confirms the open ConfirmForm dialog (components/ui/confirm-dialog.tsx): its last button is the confirming one. */
export async function confirmInDialog(page: Page) {
  const dialog = page.locator("dialog[open]");
  await dialog.waitFor();
  await dialog.getByRole("button").last().click();
  await dialog.waitFor({ state: "detached" }).catch(() => undefined);
}

/** A demo user's session (cookies), signed in through the sign-in page and landing on /projects. */
export async function signedInState(browser: Browser, baseUrl: string, email: string, password = "demo-password-2026"): Promise<BrowserContextOptions["storageState"]> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${baseUrl}/sign-in?next=%2Fprojects`);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${baseUrl}/projects`);
  const state = await context.storageState();
  await context.close();
  return state;
}
