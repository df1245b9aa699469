import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CONTROLS } from "@/lib/controls";
import { OVERVIEW_DOC_PATH, withControlsMatrix } from "@/lib/controls/doc";
import { checkDocument, checkDocuments, documentsOf, formatBroken, repositoryFacts } from "@/tests/helpers/docs-references";

// OPS-3: documentation that cannot go stale. Every document (README.md, SECURITY.md, docs/**/*.md) may name only
// repository files, npm scripts, routes, environment variables, control IDs and test files that exist.
const ROOT = path.resolve(__dirname, "../..");
const FIXTURE = "tests/fixtures/docs-references/broken.md";

describe("documentation references", () => {
  it("every file, script, route, environment variable, control ID and test a document names exists", () => {
    const docs = documentsOf(ROOT);
    expect(docs).toContain("README.md");
    expect(docs).toContain("docs/security/overview.md");
    const broken = checkDocuments(ROOT, docs);
    expect(broken, `documents name what does not exist (doc:line: kind "reference"):\n${formatBroken(broken)}`).toEqual([]);
  });

  it("a document that breaks each kind of reference fails, naming the document, the line and the reference", () => {
    const facts = repositoryFacts(ROOT);
    const broken = checkDocument(facts, FIXTURE, readFileSync(path.join(ROOT, FIXTURE), "utf8"));
    expect(broken.map(({ line, kind, reference }) => ({ line, kind, reference }))).toEqual([
      { line: 5, kind: "file", reference: "lib/auth/no-such-module.ts" },
      { line: 6, kind: "script", reference: "npm run keys:no-such-script" },
      { line: 7, kind: "route", reference: "/settings/no-such-page" },
      { line: 8, kind: "env", reference: "NO_SUCH_SETTING" },
      { line: 9, kind: "control", reference: "TEN-999" },
      { line: 10, kind: "test", reference: "../../../tests/integration/no-such-behaviour.test.ts" },
      { line: 17, kind: "script", reference: "npm run no-such-script-in-a-block" },
      { line: 17, kind: "env", reference: "ALSO_NO_SUCH_SETTING" },
    ]);
    expect(formatBroken(broken)).toContain(`${FIXTURE}:5: file "lib/auth/no-such-module.ts"`);
  });

  it("a bare file name a document declares as not the repository's is not checked; any other still is", () => {
    const facts = repositoryFacts(ROOT);
    const text = "<!-- docs-references: not-repository-files manifest.json -->\nThe pack holds `manifest.json` and `summary.json`.\n";
    expect(checkDocument(facts, "docs/x.md", text).map(({ line, kind, reference }) => ({ line, kind, reference }))).toEqual([{ line: 2, kind: "file", reference: "summary.json" }]);
  });

  it("a test file named in prose is reported as a missing test", () => {
    const facts = repositoryFacts(ROOT);
    const broken = checkDocument(facts, "docs/x.md", "Proved by tests/integration/no-such.test.ts and tests/unit/env.test.ts.\n");
    expect(broken).toEqual([{ doc: "docs/x.md", line: 1, kind: "test", reference: "tests/integration/no-such.test.ts", why: "no such test file" }]);
  });

  it("a route with a dynamic segment matches a placeholder, and a fixed segment only its own name", () => {
    const facts = repositoryFacts(ROOT);
    const check = (text: string) => checkDocument(facts, "docs/x.md", `${text}\n`).map((b) => b.reference);
    expect(check("`GET /api/v1/projects/:id/documents`")).toEqual([]);
    expect(check("`/invite/<token>`")).toEqual([]);
    expect(check("`/api/v1/projectz/:id`")).toEqual(["/api/v1/projectz/:id"]);
    expect(check("`/health/nope`")).toEqual(["/health/nope"]);
  });

  it("the security overview's controls matrix is the registry's current rendering", () => {
    const onDisk = readFileSync(path.join(ROOT, OVERVIEW_DOC_PATH), "utf8");
    const current = withControlsMatrix(onDisk);
    expect(current, `${OVERVIEW_DOC_PATH} has no controls-matrix markers`).not.toBeNull();
    expect(onDisk === current, `${OVERVIEW_DOC_PATH}'s controls matrix is stale: run npm run controls:doc`).toBe(true);
    // A change of any control's status changes the rendering, so a stale matrix cannot pass.
    const changed = CONTROLS.map((c, i) => (i === 0 ? { ...c, status: "planned" as const, issue: 1 } : c));
    expect(withControlsMatrix(onDisk, changed)).not.toBe(onDisk);
  });
});
