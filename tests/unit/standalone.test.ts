import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain JavaScript module without type declarations (scripts run without a TypeScript toolchain)
import { RUNTIME_PATHS, SERVER_FILES } from "@/scripts/lib/standalone-files.mjs";

// Self-hosting: `npm start` and every end-to-end test run the standalone build's server.js, which is our own server
// entry (scripts/server.mjs) copied with the files it imports. A new import in the server entry that the copy lacks
// would fail only at start-up of a built tree: this test fails first.
const ROOT = path.resolve(__dirname, "../..");

/** Repository paths of the relative imports of one module, and of theirs. */
function relativeImports(file: string, seen = new Set<string>()): Set<string> {
  seen.add(file);
  const text = readFileSync(path.join(ROOT, file), "utf8");
  for (const m of text.matchAll(/^\s*import\s[^'"]*["'](\.{1,2}\/[^"']+)["']/gm)) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!));
    if (!seen.has(target)) relativeImports(target, seen);
  }
  return seen;
}

describe("standalone build", () => {
  it("npm start runs the standalone server, and the end-to-end helper runs what npm start runs", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe("node .next/standalone/server.js");
    expect(pkg.scripts.build).toMatch(/^next build && .*node scripts\/standalone\.mjs$/);
    expect(readFileSync(path.join(ROOT, "tests/e2e/server.ts"), "utf8")).toContain("scripts.start");
    expect(readFileSync(path.join(ROOT, "next.config.ts"), "utf8")).toMatch(/output:\s*"standalone"/);
  });

  it("copies every module the server entry imports, and the files the app reads at run time", () => {
    expect([...relativeImports("scripts/server.mjs")].sort()).toEqual([...(SERVER_FILES as string[])].sort());
    // lib/controls/checks/database.ts and lib/db/migrate.ts read these relative to the working directory.
    expect(RUNTIME_PATHS).toEqual(expect.arrayContaining(["supabase/migrations", "scripts/verify-rls-coverage.sql"]));
  });
});
