// Result recording shared by every benchmark (scripts/bench-*.ts): each figure with its target and verdict, the
// commit and the machine it was measured on, printed as one table and kept in bench-results.json (git-ignored).
// The pure parts (verdict, table, merge) are unit-tested in tests/unit/bench-results.test.ts.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** A target: the figure must be at least (`>=`) or at most (`<=`) `value`. */
export interface Target {
  op: ">=" | "<=";
  value: number;
}

export type Verdict = "PASS" | "MISS" | "n/a";

export interface Machine {
  cpus: number;
  model: string;
  /** 1, 5 and 15 minute load averages when the figure was recorded. */
  loadAverage: [number, number, number];
  node: string;
  /** PostgreSQL's server_version, or null when the benchmark ran without PostgreSQL. */
  postgres: string | null;
}

export interface Figure {
  /** The benchmark that measured it: "api", "rls", "webhooks", "audit", "upload", "jobs", "crypto". */
  bench: string;
  name: string;
  value: number;
  unit: string;
  target: Target | null;
  verdict: Verdict;
  /** Anything that qualifies the figure (e.g. INVALID when requests failed). */
  note?: string;
  commit: string;
  machine: Machine;
  at: string;
}

export interface Results {
  figures: Figure[];
}

/** PASS when the value meets the target, MISS when not, n/a without a target or without a finite value. */
export function verdictOf(value: number, target: Target | null | undefined): Verdict {
  if (!target || !Number.isFinite(value)) return "n/a";
  return (target.op === ">=" ? value >= target.value : value <= target.value) ? "PASS" : "MISS";
}

/** A number as the table prints it: 3 significant digits, thousands grouped, at most 3 decimals. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const decimals = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString("en-GB", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

const targetText = (t: Target | null) => (t ? `${t.op} ${formatValue(t.value)}` : "");

/** One Markdown table of figures: benchmark, figure, value, unit, target, verdict, load average. */
export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.bench,
    f.name,
    formatValue(f.value),
    f.unit,
    targetText(f.target),
    f.note ? `${f.verdict} (${f.note})` : f.verdict,
    f.machine.loadAverage[0].toFixed(2),
  ]);
  const lines = [
    "| bench | figure | value | unit | target | verdict | load (1 min) |",
    "|---|---|---:|---|---|---|---:|",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
  return lines.join("\n");
}

/** The file's figures with `bench`'s replaced by `figures` (a benchmark run alone keeps the others' last figures). */
export function mergeResults(existing: Results | null, bench: string, figures: readonly Figure[]): Results {
  const kept = (existing?.figures ?? []).filter((f) => f.bench !== bench);
  return { figures: [...kept, ...figures] };
}

// ---- impure: commit, machine, file -------------------------------------------------------------------------

export const RESULTS_FILE = path.resolve(process.env.BENCH_RESULTS ?? "bench-results.json");

export function currentCommit(): string {
  try {
    const sha = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return "unknown";
  }
}

let postgresVersion: Promise<string | null> | undefined;
/** server_version of the PostgreSQL in MIGRATION_DATABASE_URL (or DATABASE_URL); null without one. */
export function postgresServerVersion(): Promise<string | null> {
  postgresVersion ??= (async () => {
    const url = process.env.MIGRATION_DATABASE_URL ?? process.env.DATABASE_URL;
    if (!url) return null;
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      const { rows } = await client.query<{ v: string }>("select current_setting('server_version') as v");
      return rows[0]?.v ?? null;
    } catch {
      return null;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return postgresVersion;
}

export async function machine(): Promise<Machine> {
  const [one, five, fifteen] = os.loadavg() as [number, number, number];
  return {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model?.trim() ?? "unknown",
    loadAverage: [one, five, fifteen].map((l) => Math.round(l * 100) / 100) as [number, number, number],
    node: process.version,
    postgres: await postgresServerVersion(),
  };
}

export interface FigureInput {
  name: string;
  value: number;
  unit: string;
  target?: Target | null;
  note?: string;
}

/**
 * Records a benchmark's figures: prints them as a table and merges them into bench-results.json (replacing that
 * benchmark's previous figures). Returns the figures as recorded.
 */
export async function recordFigures(bench: string, inputs: readonly FigureInput[]): Promise<Figure[]> {
  const [commit, m] = [currentCommit(), await machine()];
  const at = new Date().toISOString();
  const figures = inputs.map(
    (i): Figure => ({
      bench,
      name: i.name,
      value: i.value,
      unit: i.unit,
      target: i.target ?? null,
      verdict: verdictOf(i.value, i.target),
      ...(i.note || QUICK ? { note: [QUICK ? "quick" : "", i.note ?? ""].filter(Boolean).join("; ") } : {}),
      commit,
      machine: m,
      at,
    }),
  );
  writeFileSync(RESULTS_FILE, `${JSON.stringify(mergeResults(readResults(), bench, figures), null, 2)}\n`);
  console.log(`\n${formatTable(figures)}\n`);
  console.log(`machine: ${m.cpus} x ${m.model}, load average ${m.loadAverage.join(" ")}, Node ${m.node}, PostgreSQL ${m.postgres ?? "n/a"}; commit ${commit}`);
  console.log(`recorded in ${path.relative(process.cwd(), RESULTS_FILE) || RESULTS_FILE}`);
  return figures;
}

export function readResults(): Results | null {
  if (!existsSync(RESULTS_FILE)) return null;
  try {
    const parsed = JSON.parse(readFileSync(RESULTS_FILE, "utf8")) as Results;
    return Array.isArray(parsed.figures) ? parsed : null;
  } catch {
    return null;
  }
}

/** `--quick` (or BENCH_QUICK=1): a fast smoke run with fewer rounds and less data; its figures are marked. */
export const QUICK = process.argv.includes("--quick") || process.env.BENCH_QUICK === "1";
