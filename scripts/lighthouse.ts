// `npm run lighthouse`: Lighthouse (performance, accessibility, best practices, SEO) on the main pages of the
// production build, signed in as a demo admin, in Debian's Chromium (never a downloaded browser).
//
//   npm run build && npm run lighthouse [-- --port 3229] [--runs 1] [--mobile]
//
// Starts the standalone build on its own embedded database with the demo data (as the end-to-end tests do), signs in
// through the embedded identity provider's sign-in page in Chromium (playwright-core), and hands the session cookie
// to Lighthouse as a request header, so each page is measured signed in. Prints a table, writes every figure and the
// audits that cost points to .bench/lighthouse.json. Exits 1 when a score is under the target (95). Not part of
// `npm test`; docs/benchmarks.md has the figures and the method.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { chromium } from "playwright-core";
import { DEMO_PASSWORD } from "@/lib/demo/data";
import { startApp } from "@/tests/e2e/server";

const CHROMIUM = process.env.CHROME_PATH ?? process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const CATEGORIES = ["performance", "accessibility", "best-practices", "seo"] as const;
type Category = (typeof CATEGORIES)[number];
const TARGET = 95;
/** A demo admin (lib/demo/data.ts): one organisation, so no organisation switcher decides the page. */
const ADMIN_EMAIL = "carol@globex.test";

interface PageResult {
  page: string;
  scores: Record<Category, number>;
  /** Audits that cost points, per category: id, score and what Lighthouse shows for it. */
  losses: Record<Category, { id: string; score: number | null; display?: string }[]>;
  metrics: { fcpMs: number; lcpMs: number; tbtMs: number; cls: number };
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { port: { type: "string", default: "3229" }, runs: { type: "string", default: "1" }, mobile: { type: "boolean", default: false } } });
  const port = Number(values.port);
  const runs = Math.max(1, Number(values.runs));
  const app = await startApp(port);
  try {
    // Sign in as a person would, in Chromium, and keep the cookies the app set.
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS.filter((f) => f !== "--headless=new") });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/sign-in?next=%2Fprojects`);
    await page.getByLabel("Email", { exact: true }).fill(ADMIN_EMAIL);
    await page.getByLabel("Password", { exact: true }).fill(DEMO_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${app.baseUrl}/projects`);
    const projectHref = await page.locator('main a[href^="/projects/"]').first().getAttribute("href");
    const cookie = (await context.cookies(app.baseUrl)).map((c) => `${c.name}=${c.value}`).join("; ");
    await browser.close();
    if (!projectHref) throw new Error("the demo admin has no project to measure");

    const pages: { path: string; signedIn: boolean }[] = [
      { path: "/sign-in", signedIn: false },
      { path: "/projects", signedIn: true },
      { path: projectHref, signedIn: true },
      { path: "/settings/members", signedIn: true },
      { path: "/settings/api-keys", signedIn: true },
      { path: "/settings/audit", signedIn: true },
      { path: "/account/security", signedIn: true },
    ];

    const measured: PageResult[][] = pages.map(() => []);
    for (let run = 0; run < runs; run++) {
      // Lighthouse runs in a plain Node process (scripts/lib/lighthouse-pages.mjs explains why).
      const job = {
        chromePath: CHROMIUM,
        chromeFlags: CHROMIUM_FLAGS,
        preset: values.mobile ? "mobile" : "desktop",
        categories: CATEGORIES,
        pages: pages.map((p) => ({ url: `${app.baseUrl}${p.path}`, headers: p.signedIn ? { Cookie: cookie } : undefined })),
      };
      const child = spawnSync(process.execPath, [path.join("scripts", "lib", "lighthouse-pages.mjs"), JSON.stringify(job)], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
      if (child.status !== 0) throw new Error(`Lighthouse failed:\n${child.stderr}`);
      const lines = child.stdout.trim().split("\n");
      const runResults = JSON.parse(lines[lines.length - 1]!) as (Omit<PageResult, "page"> & { url: string; finalUrl: string })[];
      runResults.forEach((r, i) => {
        const { path: pagePath, signedIn } = pages[i]!;
        if (signedIn && new URL(r.finalUrl).pathname.startsWith("/sign-in")) throw new Error(`${pagePath} was measured signed out (redirected to sign-in)`);
        measured[i]!.push({ page: pagePath, scores: r.scores, losses: r.losses, metrics: r.metrics });
      });
    }
    // Per page, the median run by performance score (one run: that run).
    const results = measured.map((runsOfPage) => [...runsOfPage].sort((a, b) => a.scores.performance - b.scores.performance)[Math.floor(runsOfPage.length / 2)]!);

    const shown = (p: string) => (p.startsWith("/projects/") ? "/projects/<id>" : p);
    console.log(`\nLighthouse ${values.mobile ? "mobile" : "desktop"} preset, ${runs} run(s) per page (median by performance), target ${TARGET}:\n`);
    console.log("| page | performance | accessibility | best practices | SEO | FCP ms | LCP ms | TBT ms | CLS |");
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of results) {
      console.log(`| ${shown(r.page)} | ${r.scores.performance} | ${r.scores.accessibility} | ${r.scores["best-practices"]} | ${r.scores.seo} | ${r.metrics.fcpMs} | ${r.metrics.lcpMs} | ${r.metrics.tbtMs} | ${r.metrics.cls} |`);
    }
    const missed = results.flatMap((r) => CATEGORIES.filter((c) => r.scores[c] < TARGET).map((c) => ({ page: shown(r.page), category: c, score: r.scores[c], losses: r.losses[c] })));
    for (const m of missed) console.log(`\nunder ${TARGET}: ${m.page} ${m.category} ${m.score}: ${m.losses.map((l) => `${l.id}${l.display ? ` (${l.display})` : ""}`).join(", ")}`);
    const out = path.join(process.cwd(), ".bench", "lighthouse.json");
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify({ preset: values.mobile ? "mobile" : "desktop", runs, target: TARGET, at: new Date().toISOString(), results }, null, 2)}\n`);
    console.log(`\nFigures: ${path.relative(process.cwd(), out)}`);
    return missed.length === 0 ? 0 : 1;
  } finally {
    await app.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
