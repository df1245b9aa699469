// Runs Lighthouse on a list of pages in Debian's Chromium and prints one JSON line of results (used by
// scripts/lighthouse.ts). Plain JavaScript on purpose: Lighthouse sends some of its own functions to the page as
// source text, and a TypeScript loader's rewriting of them (esbuild's `__name` helper) does not exist there.
//
//   node scripts/lib/lighthouse-pages.mjs '<json: { chromePath, chromeFlags, preset, categories, pages: [{ url, headers }] }>'
import * as chromeLauncher from "chrome-launcher";
import lighthouse, { desktopConfig } from "lighthouse";

const job = JSON.parse(process.argv[2] ?? "{}");
const chrome = await chromeLauncher.launch({ chromePath: job.chromePath, chromeFlags: job.chromeFlags });
const results = [];
try {
  for (const page of job.pages) {
    const flags = { port: chrome.port, output: "json", logLevel: "error", onlyCategories: job.categories, extraHeaders: page.headers };
    const result = await lighthouse(page.url, flags, job.preset === "desktop" ? desktopConfig : undefined);
    if (!result) throw new Error(`Lighthouse returned nothing for ${page.url}`);
    const lhr = result.lhr;
    if (lhr.runtimeError) throw new Error(`${page.url}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
    const scores = Object.fromEntries(job.categories.map((c) => [c, Math.round((lhr.categories[c]?.score ?? 0) * 100)]));
    // Audits that cost points, per category: weighted ones that did not pass.
    const losses = Object.fromEntries(
      job.categories.map((c) => [
        c,
        (lhr.categories[c]?.auditRefs ?? [])
          .filter((ref) => ref.weight > 0)
          .map((ref) => lhr.audits[ref.id])
          .filter((a) => a && a.score !== null && a.score < 1)
          .map((a) => ({ id: a.id, score: a.score, display: a.displayValue })),
      ]),
    );
    const metric = (id) => Number(lhr.audits[id]?.numericValue ?? 0);
    results.push({
      url: page.url,
      finalUrl: lhr.finalDisplayedUrl,
      scores,
      losses,
      metrics: { fcpMs: Math.round(metric("first-contentful-paint")), lcpMs: Math.round(metric("largest-contentful-paint")), tbtMs: Math.round(metric("total-blocking-time")), cls: Number(metric("cumulative-layout-shift").toFixed(3)) },
    });
  }
} finally {
  await chrome.kill();
}
console.log(JSON.stringify(results));
