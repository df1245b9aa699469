// Runs every live check of the controls registry (lib/controls/checks) against the configured system.
//
//   npm run controls:check [-- --org org_x] [-- --url https://app.example.com/]
//
// Uses the same configuration as the app (DATABASE_URL, MIGRATION_DATABASE_URL for the owner's checks, REDIS_URL, ...).
// Exit codes: 0 no check failed (warnings allowed), 1 at least one check failed, 2 could not run (bad arguments).
import { isServerOnlyGuard, messageOf, runIfInvokedDirectly } from "./lib/cli";

const USAGE = "Usage: check-controls [--org org_x] [--url https://app.example.com/]";
const ORG_ID = /^org_[A-Za-z0-9]{1,64}$/;

export class UsageError extends Error {}

export function parseArgs(argv: string[]): { orgId?: string; url?: string } {
  const out: { orgId?: string; url?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (name === "--org" || name === "--url") {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value.`);
      if (name === "--org") {
        if (!ORG_ID.test(value)) throw new UsageError(`Not an organisation id: ${JSON.stringify(value)}`);
        out.orgId = value;
      } else {
        if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) throw new UsageError(`Not an http(s) URL: ${JSON.stringify(value)}`);
        out.url = value;
      }
    } else {
      throw new UsageError(arg === "--help" || arg === "-h" ? USAGE : `Unknown argument: ${arg}`);
    }
  }
  return out;
}

const MARK = { pass: "PASS", fail: "FAIL", warn: "WARN", not_applicable: "N/A " } as const;

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  let options: { orgId?: string; url?: string };
  try {
    options = parseArgs(argv);
  } catch (error) {
    console.error(error instanceof UsageError && error.message !== USAGE ? `${error.message}\n${USAGE}` : USAGE);
    return 2;
  }
  let checks: typeof import("@/lib/controls/checks");
  let db: typeof import("@/lib/db");
  try {
    checks = await import("@/lib/controls/checks");
    db = await import("@/lib/db");
  } catch (error) {
    console.error(
      isServerOnlyGuard(error)
        ? "Run this script with the react-server condition: `npm run controls:check` (or `npx tsx --conditions=react-server scripts/check-controls.ts`)."
        : `Could not load the app: ${messageOf(error)}`,
    );
    return 2;
  }
  try {
    const results = await checks.runControlChecks(options);
    for (const r of results) console.log(`${MARK[r.status]}  ${r.id.padEnd(24)} ${r.controls.join(", ").padEnd(14)} ${r.detail}`);
    const failed = results.filter((r) => r.status === "fail").length;
    const warned = results.filter((r) => r.status === "warn").length;
    (failed ? console.error : console.log)(`${results.length} checks: ${failed} failed, ${warned} warning(s).`);
    return failed ? 1 : 0;
  } finally {
    await db.closeDb().catch(() => {});
    const { closeDefaultRateLimitStore } = await import("@/lib/ratelimit");
    await closeDefaultRateLimitStore().catch(() => {});
  }
}

runIfInvokedDirectly(import.meta.url, main);
