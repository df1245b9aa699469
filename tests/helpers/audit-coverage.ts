import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * AUD-3: finds the product's mutation entry points in the source and decides, for each, whether it writes an audit
 * entry through the one writer. Data-driven: every file is scanned at test time, so an entry point added anywhere is
 * checked without editing the test. The rules:
 *  - a pipeline action (`defineAction({ name, ... })`) is audited when its definition calls `audit(...)`,
 *    `appendAudit(...)` or `recordOnly(...)`, or hands its `audit` to the function doing the work;
 *  - a server action (an export of an `app/**\/actions.ts` file) is audited when it calls a library function that is an
 *    audited pipeline action, or whose body is audited by the same rule (one level of calls, into `@/lib/...`);
 *  - an API route's mutating method (POST, PUT, PATCH, DELETE, unless it is the 405 or unknown-endpoint answer) is
 *    audited when its file is, by the same rule.
 * Anything else must be listed as an exemption with the reason it changes nothing an auditor needs.
 */
export interface MutationPath {
  kind: "pipeline-action" | "server-action" | "api-route";
  id: string;
  file: string;
  audited: boolean;
}

const AUDIT_CALL = /\b(?:audit|appendAudit|recordOnly|auditWriteFailed)\s*\(/;

/** Calls the writer, or hands the pipeline's `audit` on (used beyond its own destructuring). */
export function textAudits(text: string): boolean {
  if (AUDIT_CALL.test(text)) return true;
  return (text.match(/\baudit\b/g) ?? []).length >= 2;
}

/** The text of a call starting at `start` (the index of its opening parenthesis), up to the matching one. */
function balanced(source: string, open: number): string {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    if (source[i] === "(" || source[i] === "{") depth++;
    else if (source[i] === ")" || source[i] === "}") {
      depth--;
      if (depth === 0) return source.slice(open, i + 1);
    }
  }
  return source.slice(open);
}

/**
 * Where a function's body starts: the first `{` that ends its line, after the parameter list. A return type such as
 * `Promise<{ ok: boolean }>` holds braces too, but never one that ends a line (the code is formatted by Prettier).
 */
function bodyStart(source: string, from: number): number {
  const m = /\{[ \t]*\r?\n/.exec(source.slice(from));
  return m ? from + m.index : -1;
}

export function pipelineActionsIn(file: string, source: string): MutationPath[] {
  const out: MutationPath[] = [];
  for (const m of source.matchAll(/defineAction\s*(?:<[^>]*>)?\s*\(/g)) {
    const text = balanced(source, m.index + m[0].length - 1);
    const name = /name:\s*"([^"]+)"/.exec(text)?.[1];
    if (name) out.push({ kind: "pipeline-action", id: name, file, audited: textAudits(text) });
  }
  return out;
}

/** The body of `export async function name(` or the initialiser of `export const name =` in a module. */
function definitionOf(source: string, name: string): string | null {
  const fn = new RegExp(`(?:^|\\n)(?:export\\s+)?(?:async\\s+)?function\\s+${name}\\s*[<(]`).exec(source);
  if (fn) {
    const brace = bodyStart(source, fn.index + fn[0].length);
    return brace < 0 ? null : balanced(source, brace);
  }
  const constant = new RegExp(`(?:^|\\n)(?:export\\s+)?const\\s+${name}\\s*(?::[^=]+)?=\\s*`).exec(source);
  if (constant) {
    const start = constant.index + constant[0].length;
    const paren = source.indexOf("(", start);
    return paren < 0 ? null : source.slice(start, paren) + balanced(source, paren);
  }
  return null;
}

function resolveModule(root: string, from: string, specifier: string): string | null {
  const base = specifier.startsWith("@/") ? path.join(root, specifier.slice(2)) : specifier.startsWith(".") ? path.join(path.dirname(from), specifier) : null;
  if (!base) return null;
  for (const candidate of [`${base}.ts`, `${base}.tsx`, path.join(base, "index.ts")]) {
    try {
      readFileSync(candidate);
      return candidate;
    } catch {
      // next candidate
    }
  }
  return null;
}

/** Whether a library symbol audits: its definition does, or it re-exports / calls a symbol of its module that does. */
function symbolAudits(root: string, file: string, name: string, depth = 0): boolean {
  if (depth > 3) return false;
  const source = readFileSync(file, "utf8");
  const definition = definitionOf(source, name);
  if (definition) {
    if (textAudits(definition)) return true;
    // Calls of other functions of the same module, or of ones it imports from the library.
    for (const call of definition.matchAll(/\b([A-Za-z_$][\w$]*)\s*\(/g)) {
      const callee = call[1]!;
      if (callee === name) continue;
      if (definitionOf(source, callee) && symbolAudits(root, file, callee, depth + 1)) return true;
      const imported = importsOf(source).get(callee);
      const target = imported && resolveModule(root, file, imported.from);
      if (target && symbolAudits(root, target, imported.name, depth + 1)) return true;
    }
    return false;
  }
  // `export { x } from "./y"` / `export { x as y } from "./z"`
  for (const m of source.matchAll(/export\s*\{([^}]*)\}\s*from\s*"([^"]+)"/g)) {
    for (const part of m[1]!.split(",")) {
      const [orig, alias] = part.trim().split(/\s+as\s+/);
      if ((alias ?? orig) === name && orig) {
        const target = resolveModule(root, file, m[2]!);
        if (target) return symbolAudits(root, target, orig, depth + 1);
      }
    }
  }
  // `export * from "./y"`
  for (const m of source.matchAll(/export\s*\*\s*from\s*"([^"]+)"/g)) {
    const target = resolveModule(root, file, m[1]!);
    if (target && definitionOf(readFileSync(target, "utf8"), name) !== null) return symbolAudits(root, target, name, depth + 1);
  }
  return false;
}

function importsOf(source: string): Map<string, { name: string; from: string }> {
  const out = new Map<string, { name: string; from: string }>();
  for (const m of source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"([^"]+)"/g)) {
    for (const part of m[1]!.split(",")) {
      const [orig, alias] = part.trim().replace(/^type\s+/, "").split(/\s+as\s+/);
      if (orig) out.set(alias ?? orig, { name: orig, from: m[2]! });
    }
  }
  return out;
}

/** Whether a body calls an imported library function (or uses its own audit) that audits. */
function bodyAudits(root: string, file: string, source: string, body: string, depth = 0): boolean {
  if (textAudits(body)) return true;
  if (depth > 2) return false;
  const imports = importsOf(source);
  for (const call of body.matchAll(/\b([A-Za-z_$][\w$]*)\s*[(<]/g)) {
    const imported = imports.get(call[1]!);
    if (!imported || !imported.from.startsWith("@/lib/")) continue;
    const target = resolveModule(root, file, imported.from);
    if (target && symbolAudits(root, target, imported.name)) return true;
  }
  // A local (non-exported) helper of the same file.
  for (const call of body.matchAll(/\b([A-Za-z_$][\w$]*)\s*\(/g)) {
    const local = new RegExp(`(?:async\\s+)?function\\s+${call[1]}\\s*\\(`).exec(source);
    if (local) {
      // Followed like the action's own body: the helper's calls into the library count too.
      const brace = bodyStart(source, local.index + local[0].length);
      if (brace > 0 && bodyAudits(root, file, source, balanced(source, brace), depth + 1)) return true;
    }
  }
  return false;
}

export function serverActionsIn(root: string, file: string, source: string): MutationPath[] {
  if (!/^\s*["']use server["']/.test(source)) return [];
  const out: MutationPath[] = [];
  for (const m of source.matchAll(/export\s+async\s+function\s+([A-Za-z_$][\w$]*)\s*\(/g)) {
    const brace = bodyStart(source, m.index + m[0].length);
    const body = balanced(source, brace);
    out.push({ kind: "server-action", id: `${path.relative(root, file)}#${m[1]}`, file, audited: bodyAudits(root, file, source, body) });
  }
  return out;
}

const MUTATING = ["POST", "PUT", "PATCH", "DELETE"];

export function apiRoutesIn(root: string, file: string, source: string): MutationPath[] {
  const out: MutationPath[] = [];
  for (const method of MUTATING) {
    const m = new RegExp(`export\\s+(?:const\\s+${method}\\s*=\\s*([^;\\n]+)|(?:async\\s+)?function\\s+${method}\\s*\\()`).exec(source);
    if (!m) continue;
    if (m[1] && /^(?:notAllowed|unknownEndpoint|methodNotAllowed\()/.test(m[1].trim())) continue;
    out.push({ kind: "api-route", id: `${path.relative(root, file)}#${method}`, file, audited: bodyAudits(root, file, source, source) });
  }
  return out;
}

/** Every mutation entry point under root (lib/**, app/**). */
export function scanMutationPaths(root: string, extra: string[] = []): MutationPath[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
  const files = [...walk(path.join(root, "lib")), ...walk(path.join(root, "app")), ...extra.map((f) => path.resolve(root, f))];
  const out: MutationPath[] = [];
  for (const file of files) {
    const source = readFileSync(file, "utf8");
    out.push(...pipelineActionsIn(path.relative(root, file), source));
    if (file.endsWith("actions.ts")) out.push(...serverActionsIn(root, file, source));
    if (file.endsWith("route.ts") && file.includes(`${path.sep}api${path.sep}`)) out.push(...apiRoutesIn(root, file, source));
  }
  return out;
}
