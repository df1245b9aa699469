import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CONTROLS, LIVE_CHECKS, type Control } from "@/lib/controls";
import { CONTROLS_DOC_PATH, renderControlsDoc } from "@/lib/controls/doc";
import { namesTest, registryProblems, type RepositoryReader } from "@/lib/controls/validate";

const ROOT = path.resolve(__dirname, "../..");

/** Every control id of the catalogue: CONTROLS.md's families and counts (AUD-5 included). */
const EXPECTED_IDS = (
  [
    ["IDN", 6],
    ["TEN", 8],
    ["KEY", 5],
    ["RL", 3],
    ["VAL", 4],
    ["WH", 3],
    ["FILE", 4],
    ["SSRF", 2],
    ["ENC", 5],
    ["AUD", 5],
    ["HDR", 4],
    ["OBS", 4],
    ["GQL", 1],
    ["OPS", 5],
    ["BIL", 2],
  ] as const
).flatMap(([family, n]) => Array.from({ length: n }, (_, i) => `${family}-${i + 1}`));

/** The repository as it is on disk: a regular file's text, or null. */
const repository: RepositoryReader = (file) => {
  const absolute = path.resolve(ROOT, file);
  if (!absolute.startsWith(`${ROOT}${path.sep}`)) return null;
  try {
    return statSync(absolute).isFile() ? readFileSync(absolute, "utf8") : null;
  } catch {
    return null;
  }
};

const problems = (controls: readonly Control[], read: RepositoryReader = repository) => registryProblems(controls, EXPECTED_IDS, read, LIVE_CHECKS);

/** The registry with one control replaced (fixtures for the checker's own failures). */
function withControl(id: string, change: (c: Control) => Control): Control[] {
  return CONTROLS.map((c) => (c.id === id ? change(structuredClone(c)) : c));
}

describe("OPS-3: the controls registry is true", () => {
  it("lists all 61 control ids exactly once", () => {
    expect(EXPECTED_IDS).toHaveLength(61);
    expect(CONTROLS.map((c) => c.id).sort()).toEqual([...EXPECTED_IDS].sort());
  });

  it("every referenced implementation file exists, every referenced test exists and names the test, every claim has evidence", () => {
    expect(problems(CONTROLS)).toEqual([]);
  });

  it("every referenced implementation file exists", () => {
    const missing = CONTROLS.flatMap((c) => c.implementation.filter((file) => repository(file) === null).map((file) => `${c.id}: ${file}`));
    expect(missing).toEqual([]);
  });

  it("every referenced test exists and names the test", () => {
    const broken = CONTROLS.flatMap((c) =>
      c.evidence.filter((e) => repository(e.file) === null || !namesTest(repository(e.file)!, e.test)).map((e) => `${c.id}: ${e.file} "${e.test}"`),
    );
    expect(broken).toEqual([]);
  });

  it("docs/security/controls.md is the registry's current rendering", () => {
    const onDisk = repository(CONTROLS_DOC_PATH);
    expect(onDisk, `${CONTROLS_DOC_PATH} is missing: run npm run controls:doc`).not.toBeNull();
    expect(onDisk === renderControlsDoc(), `${CONTROLS_DOC_PATH} is stale: run npm run controls:doc`).toBe(true);
  });
});

describe("OPS-3: the registry check fails when the registry stops being true", () => {
  it("a missing or duplicated control id", () => {
    expect(problems(CONTROLS.filter((c) => c.id !== "TEN-4"))).toContain("TEN-4: missing from the registry");
    expect(problems([...CONTROLS, CONTROLS.find((c) => c.id === "KEY-2")!])).toContain("KEY-2: registered 2 times");
    expect(problems([...CONTROLS, { ...CONTROLS[0]!, id: "IDN-7" }])).toContain("IDN-7: not a known control id");
  });

  it("an implemented or partial control without evidence, and a planned or partial one without an issue", () => {
    expect(problems(withControl("KEY-4", (c) => ({ ...c, evidence: [] })))).toContain("KEY-4: implemented without evidence");
    expect(problems(withControl("RL-3", (c) => ({ ...c, status: "partial", issue: 18, evidence: [] })))).toContain("RL-3: partial without evidence");
    expect(problems(withControl("WH-1", ({ issue: _issue, ...c }) => ({ ...c, status: "planned" })))).toContain("WH-1: planned without an issue number");
    expect(problems(withControl("RL-3", ({ issue: _issue, ...c }) => ({ ...c, status: "partial" })))).toContain("RL-3: partial without an issue number");
  });

  it("an implementation file or test file that does not exist, or a test name that is not in its file", () => {
    expect(problems(withControl("AUD-1", (c) => ({ ...c, implementation: ["lib/audit/no-such-file.ts"] })))).toContain(
      "AUD-1: implementation lib/audit/no-such-file.ts does not exist",
    );
    expect(problems(withControl("AUD-1", (c) => ({ ...c, evidence: [{ file: "tests/integration/no-such.test.ts", test: "anything at all" }] })))).toContain(
      "AUD-1: evidence tests/integration/no-such.test.ts does not exist",
    );
    const renamed = withControl("AUD-1", (c) => ({ ...c, evidence: [{ file: "tests/integration/audit-log.test.ts", test: "a test nobody wrote" }] }));
    expect(problems(renamed)).toContain('AUD-1: no test named "a test nobody wrote" in tests/integration/audit-log.test.ts');
    expect(problems(withControl("AUD-1", (c) => ({ ...c, evidence: [{ file: "lib/audit/chain.ts", test: "findChainBreak" }] })))).toContain(
      "AUD-1: evidence lib/audit/chain.ts is not a test file",
    );
  });

  it("a test name found only in a comment or a plain string does not count", () => {
    const source = `// reports a modified entry\nconst s = "reports a removed entry";\nit("reports a reordered entry", () => {});\nit.skipIf(x)(\n  "runs on PostgreSQL only", () => {});`;
    expect(namesTest(source, "reports a modified entry")).toBe(false);
    expect(namesTest(source, "reports a removed entry")).toBe(false);
    expect(namesTest(source, "a reordered entry")).toBe(true);
    expect(namesTest(source, "runs on PostgreSQL")).toBe(true);
  });

  it("a hand-edited or stale docs/security/controls.md", () => {
    const rendered = renderControlsDoc();
    expect(rendered.replace("| KEY-1 |", "| KEY-1 (edited) |")).not.toBe(rendered);
    expect(renderControlsDoc(withControl("KEY-1", (c) => ({ ...c, status: "partial", issue: 12 })))).not.toBe(rendered);
  });
});

describe("docs/security/controls.md", () => {
  const doc = renderControlsDoc();

  it("says it is generated and how to regenerate it", () => {
    expect(doc.split("\n")[0]).toMatch(/Generated from lib\/controls by `npm run controls:doc`/);
  });

  it("has a row per control with its status, and relative links that resolve inside the repository", () => {
    for (const c of CONTROLS) expect(doc).toMatch(new RegExp(`^\\| ${c.id} \\| .+ \\| ${c.status}`, "m"));
    const links = [...doc.matchAll(/\]\((\.\.\/\.\.\/[^)]+)\)/g)].map((m) => decodeURIComponent(m[1]!));
    expect(links.length).toBeGreaterThan(100);
    const dead = links.map((l) => path.relative(ROOT, path.resolve(ROOT, "docs/security", l))).filter((file) => repository(file) === null);
    expect(dead).toEqual([]);
  });
});

describe("OPS-1: the CI gate", () => {
  it("OPS-1: .ci/run runs a frozen install, lint, typecheck and the suite on both engines", () => {
    const gate = repository(".ci/run") ?? "";
    expect(gate).toMatch(/^set -euo pipefail$/m);
    expect(gate).toMatch(/^npm ci\b/m);
    expect(gate).toMatch(/^npm run lint$/m);
    expect(gate).toMatch(/^npm run typecheck$/m);
    expect(gate).toMatch(/^env -u DATABASE_URL -u MIGRATION_DATABASE_URL -u REDIS_URL npm test$/m);
    expect(gate).toMatch(/DATABASE_URL="postgres:\/\/app_runtime@[^"]+"[\s\\]+MIGRATION_DATABASE_URL=[\s\S]+?REDIS_URL=[^\n]+[\s\\]+npm test/);
  });
});
