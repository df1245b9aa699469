// OPS-2: `npm run audit:deps`, the dependency audit of production dependencies. Plain JavaScript, so CI can run it
// before anything is installed (npm audit reads package-lock.json).
//
// Exit status:
//   0  the advisory service answered and no production dependency has a high or critical advisory
//   1  at least one high or critical advisory (each is listed)
//   3  the audit could not run (no answer, an error status such as the 405 a registry mirror gives, no report):
//      "could not check" is never reported as a pass. `.ci/run` tolerates it unless AUDIT_REQUIRED=1, which the
//      hosted workflow sets because the advisory service is reachable there.
import { spawnSync } from "node:child_process";

const EXIT_ADVISORIES = 1;
const EXIT_COULD_NOT_RUN = 3;
const BLOCKING = ["critical", "high"];

function couldNotRun(reason) {
  console.error(`dependency audit could not run: ${reason}`);
  process.exit(EXIT_COULD_NOT_RUN);
}

const npm = spawnSync("npm", ["audit", "--omit=dev", "--audit-level=high", "--json"], {
  encoding: "utf8",
  timeout: 120_000,
  maxBuffer: 64 * 1024 * 1024,
  // npm's own progress and warnings are not the report.
  stdio: ["ignore", "pipe", "pipe"],
});

if (npm.error) couldNotRun(npm.error.code === "ETIMEDOUT" ? "npm audit timed out after 120 s" : `npm could not be started (${npm.error.code ?? npm.error.message})`);

let report;
try {
  report = JSON.parse(npm.stdout);
} catch {
  couldNotRun(`npm audit printed no JSON report (exit status ${npm.status})`);
}

// An answer from the advisory endpoint that is not a report: npm prints the HTTP error (or a network error) as JSON.
const counts = report?.metadata?.vulnerabilities;
if (!report || typeof report !== "object" || report.error || report.statusCode || !counts || typeof counts !== "object") {
  const status = typeof report?.statusCode === "number" ? `HTTP ${report.statusCode}` : undefined;
  const detail = [report?.error?.code, report?.error?.summary, typeof report?.message === "string" ? report.message : undefined].find((v) => typeof v === "string" && v.trim() !== "");
  couldNotRun([status, detail].filter(Boolean).join(", ") || `npm audit gave no report (exit status ${npm.status})`);
}

const number = (v) => (Number.isInteger(v) && v >= 0 ? v : 0);
const summary = ["critical", "high", "moderate", "low", "info"].map((s) => `${number(counts[s])} ${s}`).join(", ");
const blocking = Object.values(report.vulnerabilities ?? {}).filter((v) => v && BLOCKING.includes(v.severity));
const blockingCount = number(counts.critical) + number(counts.high);

if (blockingCount > 0 || blocking.length > 0) {
  console.error(`dependency audit failed: production dependencies have high or critical advisories (${summary}).`);
  for (const v of blocking) {
    const titles = (Array.isArray(v.via) ? v.via : []).filter((a) => a && typeof a === "object").map((a) => `${a.title ?? "advisory"}${a.url ? ` (${a.url})` : ""}`);
    const fix = v.fixAvailable === false ? "no fix available" : v.fixAvailable ? "a fix is available" : "";
    console.error(`  ${v.name} (${v.severity}, ${v.range ?? "all versions"})${titles.length ? `: ${titles.join("; ")}` : ", through a vulnerable dependency"}${fix ? ` [${fix}]` : ""}`);
  }
  process.exit(EXIT_ADVISORIES);
}

console.log(`dependency audit passed: no high or critical advisory in production dependencies (${summary}).`);
