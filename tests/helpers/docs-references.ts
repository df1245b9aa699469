// OPS-3: what a document names must exist. Reads Markdown and reports every reference to a repository file, an npm
// script, a route, an environment variable, a control ID or a test file that the repository does not have.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { CONTROLS } from "@/lib/controls";
import { CONTROL_FAMILIES } from "@/lib/controls/types";

export type ReferenceKind = "file" | "script" | "route" | "env" | "control" | "test";

export interface BrokenReference {
  /** The document, relative to the repository root. */
  doc: string;
  line: number;
  kind: ReferenceKind;
  reference: string;
  why: string;
}

/** Top-level directories whose paths a document may name (a path starting elsewhere is not read as a repository path). */
const REPO_DIRS = ["app", "components", "config", "docs", "lib", "public", "scripts", "supabase", "tests", "sbom", ".ci", ".github", ".husky"];
/** Root files a document may name without a directory. */
const ROOT_FILE = /^(?:[A-Za-z0-9_.-]+\.(?:md|json|ts|mjs|js|yml|yaml|txt)|Dockerfile|\.dockerignore|\.env\.example|\.gitignore)$/;
/** Directories never scanned for source identifiers. */
const SKIP_DIRS = new Set(["node_modules", ".next", ".git", ".data", "coverage"]);

/** Every document the test reads: README.md, SECURITY.md, docs/**\/*.md. */
export function documentsOf(root: string): string[] {
  const out = ["README.md", "SECURITY.md"].filter((f) => existsSync(path.join(root, f)));
  const walk = (dir: string) => {
    const full = path.join(root, dir);
    if (!existsSync(full)) return;
    for (const entry of readdirSync(full, { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith(".md")) out.push(rel);
    }
  };
  walk("docs");
  return out.sort();
}

function sourceFiles(root: string, dir: string, out: string[] = []): string[] {
  const full = path.join(root, dir);
  if (!existsSync(full)) return out;
  for (const entry of readdirSync(full, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const rel = dir ? path.posix.join(dir, entry.name) : entry.name;
    if (entry.isDirectory()) {
      if (dir === "" && !REPO_DIRS.includes(entry.name)) continue;
      sourceFiles(root, rel, out);
    } else if (/\.(?:ts|tsx|mjs|js|sh|sql)$/.test(entry.name) || entry.name === "run" || entry.name === "Dockerfile") out.push(rel);
  }
  return out;
}

export interface RepositoryFacts {
  root: string;
  scripts: Set<string>;
  /** Environment variables: lib/env.ts's schema, every process.env read, and shell variables in scripts and CI. */
  envVars: Set<string>;
  /** UPPER_SNAKE identifiers the code defines (constants a document may name in backticks). */
  identifiers: Set<string>;
  controls: Set<string>;
  /** Repository-relative paths the code names as string literals (files and routes it creates at run time). */
  createdPaths: Set<string>;
  /** Route patterns: segments of app/ with route groups removed, dynamic segments as `[x]` / `[...x]`. */
  routes: string[][];
  topSegments: Set<string>;
}

export function repositoryFacts(root: string): RepositoryFacts {
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts?: Record<string, string> };
  const scripts = new Set(Object.keys(pkg.scripts ?? {}));

  const envVars = new Set<string>();
  const identifiers = new Set<string>();
  const envSource = readFileSync(path.join(root, "lib/env.ts"), "utf8");
  for (const m of envSource.matchAll(/^\s+([A-Z][A-Z0-9_]*):\s/gm)) envVars.add(m[1]!);
  // OPS-4: one FLAG_<NAME> override per flag of config/feature-flags.json (lib/flags reads them by name).
  const flagsFile = path.join(root, "config/feature-flags.json");
  if (existsSync(flagsFile)) {
    const flags = (JSON.parse(readFileSync(flagsFile, "utf8")) as { flags?: Record<string, unknown> }).flags ?? {};
    for (const name of Object.keys(flags)) envVars.add(`FLAG_${name.toUpperCase()}`);
  }
  const createdPaths = new Set<string>();
  const files = [...sourceFiles(root, ""), ...["Dockerfile", "next.config.ts", "proxy.ts", "instrumentation.ts", "vitest.config.ts"].filter((f) => existsSync(path.join(root, f)))];
  for (const file of files) {
    const text = readFileSync(path.join(root, file), "utf8");
    for (const m of text.matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)|\[\s*["'`]([A-Z][A-Z0-9_]*)["'`]\s*\])/g)) envVars.add((m[1] ?? m[2])!);
    // Variables a test or script hands to a child process ({ FOO: "..." }) and shell variables ($FOO, FOO=..., ENV FOO).
    for (const m of text.matchAll(/(?:^|[\s{,])([A-Z][A-Z0-9]*_[A-Z0-9_]+)\s*[:=]/gm)) envVars.add(m[1]!);
    for (const m of text.matchAll(/\$\{?([A-Z][A-Z0-9_]+)\b/g)) envVars.add(m[1]!);
    for (const m of text.matchAll(/\b(?:const|let|var|function|class|enum|type|interface)\s+([A-Z][A-Z0-9_]+)\b/g)) identifiers.add(m[1]!);
    for (const m of text.matchAll(/-u\s+([A-Z][A-Z0-9_]+)/g)) envVars.add(m[1]!);
    // Routes a script adds to a scratch copy of the app for a benchmark (`"/api/v1/bench-bare"`): app/api/v1/bench-bare.
    if (file.startsWith("scripts/")) for (const m of text.matchAll(/["'`](\/api\/[\w./-]+)["'`]/g)) createdPaths.add(`app${m[1]}`);
  }

  const routes: string[][] = [];
  const walk = (dir: string, segments: string[]) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (entry.name.startsWith("_")) continue; // private folders are not routes
        const group = /^\(.*\)$/.test(entry.name);
        walk(path.posix.join(dir, entry.name), group ? segments : [...segments, entry.name]);
      } else if (/^(?:page|route)\.(?:tsx?|jsx?)$/.test(entry.name)) routes.push(segments);
    }
  };
  walk("app", []);
  const topSegments = new Set(routes.filter((r) => r.length > 0 && !r[0]!.startsWith("[")).map((r) => r[0]!));
  // Routes a document names under the app's main areas: checked even when the area has no page yet.
  for (const area of ["api", "settings", "security", "account", "admin", "dashboard"]) topSegments.add(area);

  return { root, scripts, envVars, identifiers, createdPaths, controls: new Set(CONTROLS.map((c) => c.id)), routes, topSegments };
}

/** Whether a route path (placeholders like `:id`, `<id>`, `{id}` or `[id]` allowed) matches a page or route handler. */
export function routeExists(facts: RepositoryFacts, route: string): boolean {
  const segments = route.split("/").filter(Boolean);
  // A route, or an area routes live under (`/api/v1`, `/api/webhooks/`).
  return [...facts.routes, ...facts.routes.flatMap((r) => r.map((_, i) => r.slice(0, i)))].some((pattern) => {
    for (let i = 0; i < pattern.length; i++) {
      const p = pattern[i]!;
      // A catch-all (app/api/v1/[...path] answers every other path with a 404 problem) matches only a placeholder:
      // a document that names a fixed path under it names a route that is not there.
      if (p.startsWith("[...") || p.startsWith("[[...")) return segments.length > i && /^(?::\w+|\[[^\]]*\]|\*+|…)$/.test(segments[i]!);
      const s = segments[i];
      if (s === undefined) return false;
      if (p.startsWith("[")) continue; // a dynamic segment takes a value or a placeholder
      if (s !== p) return false; // a fixed segment must be named as it is
    }
    return pattern.length === segments.length;
  });
}

function pathExists(root: string, doc: string, ref: string): boolean {
  const clean = ref.replace(/[#?].*$/, "").replace(/:\d+(?:-\d+)?$/, "").replace(/\/$/, "");
  if (clean.includes("*")) {
    // A glob: its directory must exist and hold at least one match.
    const dir = clean.slice(0, clean.lastIndexOf("/", clean.indexOf("*")));
    const full = path.join(root, dir);
    if (!existsSync(full)) return false;
    const re = new RegExp("^" + clean.slice(dir.length + 1).replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*\/?/g, "\0").replace(/\*/g, "[^/]*").replace(/\0/g, "(?:.*/)?") + "$");
    const all: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(path.join(root, d), { withFileTypes: true })) {
        const rel = path.posix.join(d, e.name);
        if (e.isDirectory()) walk(rel);
        else all.push(rel.slice(dir.length + 1));
      }
    };
    walk(dir);
    return all.some((f) => re.test(f));
  }
  const decoded = decodeURIComponent(clean);
  return existsSync(path.join(root, decoded)) || existsSync(path.join(root, path.dirname(doc), decoded));
}

const FAMILIES = Object.keys(CONTROL_FAMILIES).join("|");
const CONTROL_RE = new RegExp(`(?<![A-Za-z0-9-])(${FAMILIES})-\\d+(?![\\d.]*\\d)`, "g");
const PATH_RE = new RegExp(`(?<![\\w./:@~-])((?:${REPO_DIRS.map((d) => d.replace(".", "\\.")).join("|")})/[\\w./()\\[\\]@*+-]*[\\w)\\]*/])`, "g");
const NPM_RE = /\bnpm (?:run(?:-script)?\s+([\w:.-]+)|(test|start)\b)/g;

/** A path as prose ends it: without a closing bracket or parenthesis it did not open, or a full stop. */
function balanced(ref: string): string {
  let out = ref;
  for (;;) {
    const count = (c: string) => out.split(c).length - 1;
    if (out.endsWith(".")) out = out.slice(0, -1);
    else if (out.endsWith("]") && count("]") > count("[")) out = out.slice(0, -1);
    else if (out.endsWith(")") && count(")") > count("(")) out = out.slice(0, -1);
    else return out;
  }
}

/** Placeholders that stand for a value, not a name: `<id>`, `{org}`, `…`. */
function hasPlaceholder(s: string): boolean {
  return /<[^>]*>|\{[^}]*\}|…|\.\.\.(?!\w)/.test(s);
}

/** Every broken reference in one document. */
export function checkDocument(facts: RepositoryFacts, doc: string, text: string): BrokenReference[] {
  const out: BrokenReference[] = [];
  const seen = new Set<string>();
  const report = (line: number, kind: ReferenceKind, reference: string, why: string) => {
    const key = `${line}:${kind}:${reference}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ doc, line, kind, reference, why });
  };
  const checkPath = (line: number, ref: string) => {
    if (hasPlaceholder(ref) || /^docs\/api\b/.test(ref)) return; // docs/api is a route segment under (marketing)
    if (pathExists(facts.root, doc, ref) || facts.createdPaths.has(ref.replace(/\/$/, ""))) return;
    const isTest = /^tests\//.test(ref) && /\.(?:test|e2e|spec)\.tsx?$/.test(ref.replace(/[#:].*$/, ""));
    report(line, isTest ? "test" : "file", ref, isTest ? "no such test file" : "no such file or directory");
  };

  // A document about an archive or an output names files that are not the repository's; it lists them, once, in
  // `<!-- docs-references: not-repository-files a.json b.md -->`, and only those bare names are then not checked.
  const notRepositoryFiles = new Set([...text.matchAll(/<!--\s*docs-references:\s*not-repository-files\s+([^>]*?)\s*-->/g)].flatMap((m) => m[1]!.split(/\s+/)));
  let fenced = false;
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    if (/^\s*(```|~~~)/.test(raw)) {
      fenced = !fenced;
      return;
    }
    // A planned control's row in the generated matrix describes what is not built yet: its names are promises.
    const promise = /^\|\s*[A-Z]+-\d+\s*\|[^|]*\|\s*planned\b/.test(raw);
    for (const m of raw.matchAll(NPM_RE)) {
      const name = (m[1] ?? m[2])!;
      if (!facts.scripts.has(name)) report(line, "script", `npm run ${name}`, "package.json has no such script");
    }
    for (const m of raw.matchAll(CONTROL_RE)) {
      if (!facts.controls.has(m[0])) report(line, "control", m[0], "the controls registry (lib/controls) has no such control");
    }
    // Markdown links to repository files, resolved from the document's directory.
    for (const m of raw.matchAll(/\]\(([^)\s]+(?:\([^)\s]*\)[^)\s]*)*)\)/g)) {
      const target = m[1]!;
      if (/^(?:[a-z]+:|#|\/)/i.test(target)) continue;
      const clean = target.replace(/#.*$/, "");
      if (!clean) continue;
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(doc), decodeURIComponent(clean)));
      if (resolved.startsWith("..") || hasPlaceholder(resolved)) continue;
      if (!promise && !existsSync(path.join(facts.root, resolved))) {
        const isTest = /^tests\/.*\.(?:test|e2e|spec)\.tsx?$/.test(resolved);
        report(line, isTest ? "test" : "file", target, `link target ${resolved} does not exist`);
      }
    }
    // Repository paths in prose and code (not inside link targets, already checked).
    const withoutLinks = raw.replace(/\]\([^)]*(?:\([^)]*\)[^)]*)*\)/g, "]");
    if (!promise) for (const m of withoutLinks.matchAll(PATH_RE)) checkPath(line, balanced(m[1]!));
    if (fenced) {
      // Shell lines: VAR=value before a command names an environment variable.
      for (const m of raw.matchAll(/(?:^|\s)([A-Z][A-Z0-9]*_[A-Z0-9_]+)=/g)) {
        if (!facts.envVars.has(m[1]!)) report(line, "env", m[1]!, "neither lib/env.ts nor any process.env read defines it");
      }
      return;
    }
    if (promise) return;
    for (const span of raw.matchAll(/`([^`]+)`/g)) {
      const code = span[1]!.trim().replace(/<[^>]*>/g, "[x]");
      // Root files named alone: `package.json`, `Dockerfile`.
      if (ROOT_FILE.test(code) && !notRepositoryFiles.has(code) && !code.includes("/") && /^[A-Z.a-z]/.test(code) && /\.(?:md|json)$|^Dockerfile$|^\.dockerignore$/.test(code)) {
        if (!existsSync(path.join(facts.root, code)) && !existsSync(path.join(facts.root, path.dirname(doc), code))) report(line, "file", code, "no such file");
      }
      // Routes: `/api/...`, `GET /settings/members`, `/health/ready?x=1`.
      for (const r of code.matchAll(/(?:^|\s)(\/[\w.\-[\]:<>{}…/]*)/g)) {
        const route = r[1]!.replace(/[?#].*$/, "").replace(/[.,;]$/, "");
        const first = route.split("/").filter(Boolean)[0];
        if (!first || !facts.topSegments.has(first)) continue;
        if (!routeExists(facts, route)) report(line, "route", route, "no page or route handler under app/ matches it");
      }
      // Environment variables: UPPER_SNAKE alone or as NAME=value.
      for (const v of code.matchAll(/(?:^|[\s(])([A-Z][A-Z0-9]*_[A-Z0-9_]+)(?==|$|\s|\))/g)) {
        const name = v[1]!;
        if (facts.envVars.has(name) || facts.identifiers.has(name)) continue;
        report(line, "env", name, "neither lib/env.ts nor any process.env read defines it");
      }
    }
  });
  return out;
}

/** Every broken reference in the repository's documents. */
export function checkDocuments(root: string, docs: string[] = documentsOf(root)): BrokenReference[] {
  const facts = repositoryFacts(root);
  return docs.flatMap((doc) => checkDocument(facts, doc, readFileSync(path.join(root, doc), "utf8")));
}

export function formatBroken(broken: BrokenReference[]): string {
  return broken.map((b) => `${b.doc}:${b.line}: ${b.kind} ${JSON.stringify(b.reference)}: ${b.why}`).join("\n");
}

/** For the fixture test: a path exists as a file (not a directory). */
export function isFile(root: string, rel: string): boolean {
  return existsSync(path.join(root, rel)) && statSync(path.join(root, rel)).isFile();
}
