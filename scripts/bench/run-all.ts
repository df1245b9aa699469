// `npm run bench`: every benchmark in turn, each in its own process exactly as its own npm script runs it, then one
// table of every figure from bench-results.json (written afresh by this run). `--quick` (or BENCH_QUICK=1) is
// passed on: a fast smoke run. BENCH_ONLY=api,rls runs a subset. The settings of each benchmark (environment) apply
// as when it runs alone; those that need PostgreSQL say so and skip without DATABASE_URL and MIGRATION_DATABASE_URL.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { formatTable, readResults, RESULTS_FILE } from "./results";

const BENCHMARKS = ["api", "rls", "webhooks", "audit", "upload", "jobs", "crypto"] as const;

function main(): number {
  const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim()).filter(Boolean);
  const selected = BENCHMARKS.filter((b) => !only || only.includes(b));
  const quick = process.argv.includes("--quick") ? ["--quick"] : [];
  rmSync(RESULTS_FILE, { force: true });
  const failed: string[] = [];
  for (const bench of selected) {
    console.log(`\n=== bench:${bench} ===`);
    const run = spawnSync(process.execPath, ["--import", "tsx", "--conditions=react-server", `scripts/bench-${bench}.ts`, ...quick], {
      stdio: "inherit",
      env: { ...process.env, BENCH_RESULTS: RESULTS_FILE },
    });
    if (run.status !== 0) failed.push(`${bench} (exit ${run.status ?? run.signal})`);
  }
  const results = readResults();
  console.log("\n=== every figure ===\n");
  console.log(results ? formatTable(results.figures) : "(no figures recorded)");
  const missing = selected.filter((b) => !results?.figures.some((f) => f.bench === b));
  if (missing.length) console.log(`\nno figures from: ${missing.join(", ")} (skipped or failed; see above)`);
  console.log(`\n${RESULTS_FILE}`);
  if (failed.length) {
    console.log(`could not run: ${failed.join(", ")}`);
    return 1;
  }
  return 0;
}

process.exit(main());
