// TEN-5: fails when a table in the app schemas lacks row-level security enabled + forced, or lacks a policy.
//
//   npm run verify:rls                      (= tsx --conditions=react-server scripts/verify-rls-coverage.ts)
//
// Runs scripts/verify-rls-coverage.sql as the tables' owner (MIGRATION_DATABASE_URL, else DATABASE_URL, else
// the local PGlite database). Exit codes: 0 every table covered, 1 offenders found (listed), 2 could not check.
// Importing this module has no side effects: main() runs only when the file is executed directly, and lib/db
// is loaded lazily so the report helpers can be used (and tested) on their own.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isServerOnlyGuard, messageOf, runIfInvokedDirectly } from "./lib/cli";

export const RLS_COVERAGE_SQL_PATH = fileURLToPath(new URL("./verify-rls-coverage.sql", import.meta.url));

/** One row of scripts/verify-rls-coverage.sql. */
export interface RlsCoverageGap {
  schema: string;
  table: string;
  problem: string;
}

export function readRlsCoverageSql(): string {
  return readFileSync(RLS_COVERAGE_SQL_PATH, "utf8");
}

/** What the command prints and how it exits, for a given query result. */
export function formatRlsCoverageReport(gaps: RlsCoverageGap[]): { exitCode: 0 | 1; lines: string[] } {
  if (gaps.length === 0) {
    return { exitCode: 0, lines: ["RLS coverage OK: every table in public, idp and private has row level security enabled and forced, and a policy."] };
  }
  return {
    exitCode: 1,
    lines: [
      `RLS coverage FAILED (TEN-5): ${gaps.length} table(s) in the app schemas are not fully covered:`,
      ...gaps.map((g) => `  ${g.schema}.${g.table}: ${g.problem}`),
    ],
  };
}

const SERVER_ONLY_HINT =
  "Run this script with the react-server condition: `npm run verify:rls` (or `npx tsx --conditions=react-server scripts/verify-rls-coverage.ts`).";

export async function main(): Promise<number> {
  let db: typeof import("@/lib/db");
  try {
    db = await import("@/lib/db");
  } catch (error) {
    console.error(isServerOnlyGuard(error) ? SERVER_ONLY_HINT : `Could not load the database module: ${messageOf(error)}`);
    return 2;
  }
  try {
    const gaps = await (await db.ownerDb()).query<RlsCoverageGap>(readRlsCoverageSql());
    const report = formatRlsCoverageReport(gaps);
    (report.exitCode === 0 ? console.log : console.error)(report.lines.join("\n"));
    return report.exitCode;
  } catch (error) {
    console.error(`RLS coverage could not be checked: ${messageOf(error)}`);
    return 2;
  } finally {
    await db.closeDb().catch(() => {});
  }
}

runIfInvokedDirectly(import.meta.url, main);
