// OPS-2: `npm install` / `npm ci` run this (`prepare`) to install the pre-commit hook (.husky/pre-commit) with husky.
// It never fails an install: CI (CI=true) commits nothing and needs no hook, a copy without .git (an image build, a
// tarball) has nowhere to install one, and a production install (--omit=dev) has no husky. Each case says so.
import { existsSync } from "node:fs";

function skip(reason) {
  console.log(`git hooks not installed: ${reason}`);
  process.exit(0);
}

if (process.env.CI === "true" || process.env.CI === "1") skip("CI=true");
if (process.env.HUSKY === "0") skip("HUSKY=0");
if (!existsSync(".git")) skip("no .git here");

let husky;
try {
  husky = (await import("husky")).default;
} catch {
  skip("husky is not installed (a production install)");
}
const problem = husky();
if (problem) skip(problem);
console.log("git hooks installed: .husky/pre-commit runs the staged-secrets check (scripts/check-staged-secrets.mjs)");
