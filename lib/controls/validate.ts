import type { LiveCheckId } from "./live-checks";
import type { Control } from "./types";

/** Reads a repository file (path relative to the root); null when there is no such file. */
export type RepositoryReader = (path: string) => string | null;

const TEST_FILE = /^tests\/(unit|integration|e2e)\/.+\.(test|e2e)\.ts$/;
// What precedes a test's name: `describe(`, `it(`, `it.skipIf(x)(`, `it.each([...])(` and the like, then the opening
// quote and any start of the name. A name found only in a comment or an ordinary string does not count.
const NAME_CONTEXT = /(?:\b(?:describe|it|test)(?:\.\w+)*|\))\s*\(\s*(?:"[^"\n]*|'[^'\n]*|`[^`\n]*)$/;

/** Whether `name` occurs in the name of a describe/it/test block of `source`. */
export function namesTest(source: string, name: string): boolean {
  for (let at = source.indexOf(name); at !== -1; at = source.indexOf(name, at + 1)) {
    if (NAME_CONTEXT.test(source.slice(Math.max(0, at - 400), at))) return true;
  }
  return false;
}

/**
 * OPS-3: everything that makes the registry untrue, one line per problem: ids missing from or duplicated against the
 * expected list, unknown ids, `planned`/`partial` without an issue, `implemented`/`partial` without evidence or an
 * implementation, referenced files that do not exist, and test names that do not occur in their test file.
 */
export function registryProblems(
  controls: readonly Control[],
  expectedIds: readonly string[],
  read: RepositoryReader,
  liveChecks: Record<string, { controls: readonly string[] }> = {},
): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const c of controls) seen.set(c.id, (seen.get(c.id) ?? 0) + 1);
  for (const id of expectedIds) {
    const n = seen.get(id) ?? 0;
    if (n === 0) problems.push(`${id}: missing from the registry`);
    if (n > 1) problems.push(`${id}: registered ${n} times`);
  }
  for (const id of seen.keys()) if (!expectedIds.includes(id)) problems.push(`${id}: not a known control id`);

  for (const c of controls) {
    if (!c.id.startsWith(`${c.family}-`)) problems.push(`${c.id}: family ${c.family} does not match its id`);
    if (c.title.trim() === "" || c.description.trim().length < 40) problems.push(`${c.id}: needs a title and a description`);
    if (c.status !== "implemented" && !(Number.isInteger(c.issue) && (c.issue ?? 0) > 0)) problems.push(`${c.id}: ${c.status} without an issue number`);
    if (c.status !== "planned" && c.evidence.length === 0) problems.push(`${c.id}: ${c.status} without evidence`);
    if (c.status !== "planned" && c.implementation.length === 0) problems.push(`${c.id}: ${c.status} without an implementation`);
    for (const file of c.implementation) {
      if (read(file) === null) problems.push(`${c.id}: implementation ${file} does not exist`);
    }
    for (const e of c.evidence) {
      if (!TEST_FILE.test(e.file)) {
        problems.push(`${c.id}: evidence ${e.file} is not a test file`);
        continue;
      }
      const source = read(e.file);
      if (source === null) problems.push(`${c.id}: evidence ${e.file} does not exist`);
      else if (e.test.trim().length < 8) problems.push(`${c.id}: evidence name "${e.test}" is too short to identify a test`);
      else if (!namesTest(source, e.test)) problems.push(`${c.id}: no test named "${e.test}" in ${e.file}`);
    }
  }
  for (const [check, { controls: ids }] of Object.entries(liveChecks) as [LiveCheckId, { controls: readonly string[] }][]) {
    for (const id of ids) if (!seen.has(id)) problems.push(`live check ${check}: names unknown control ${id}`);
  }
  return problems;
}
