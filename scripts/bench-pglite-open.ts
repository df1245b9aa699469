// `npm run bench:pglite` (= tsx --conditions=react-server scripts/bench-pglite-open.ts): what opening an embedded
// database costs a test file, the two ways the suite can do it (docs/benchmarks.md, "Embedded test databases").
//
// A benchmark, not a test: it exits 0 once it has measured. Each measurement is one open in a new Node process, as
// each test file is (vitest's forks pool): cold, so it includes compiling PGlite's WebAssembly. BENCH_PGLITE_ROUNDS
// times (default 5) each:
//   fresh      openPglite("memory://") (PGlite.create: initdb in a second instance, then the server) and migrate()
//              applying every file of supabase/migrations: what each test file paid without a template.
//   template   openPglite("memory://", { loadDataDir }) from a tarball of the migrated database (dumpDataDir, written
//              to a temporary file once, read back as lib/db does with PGLITE_SNAPSHOT), then migrate() finding
//              nothing to apply but checking every applied file's checksum.
// create and migrate are timed apart (wall clock), with the CPU time of both; the medians of the rounds are printed.
import { fork } from "node:child_process";
import { openAsBlob } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

process.env.LOG_LEVEL ??= "warn";
const ROUNDS = Number(process.env.BENCH_PGLITE_ROUNDS ?? 5);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(0)} ms`;

interface Measurement {
  create: number;
  migrate: number;
  /** CPU time of the whole open (create + migrate), every thread of the process: less sensitive to other load. */
  cpu: number;
  applied: number;
}

/** In the child: one open, timed. */
async function measureOnce(template: string | undefined): Promise<Measurement> {
  const { openPglite } = await import("@/lib/db/engine");
  const { migrate } = await import("@/lib/db/migrate");
  const cpuStart = process.cpuUsage();
  let start = performance.now();
  const db = await openPglite("memory://", template ? { loadDataDir: await openAsBlob(template) } : {});
  const create = performance.now() - start;
  start = performance.now();
  const applied = (await migrate(db)).length;
  const migrating = performance.now() - start;
  const cpuUsed = process.cpuUsage(cpuStart);
  const cpu = (cpuUsed.user + cpuUsed.system) / 1000;
  if (process.env.BENCH_PGLITE_DUMP) await writeFile(process.env.BENCH_PGLITE_DUMP, new Uint8Array(await (await db.dumpDataDir!()).arrayBuffer()));
  await db.close();
  return { create, migrate: migrating, cpu, applied };
}

function inChild(env: Record<string, string>): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = fork(process.argv[1]!, [], { execArgv: process.execArgv, env: { ...process.env, ...env, BENCH_PGLITE_CHILD: "1" } });
    child.once("message", (m) => resolve(m as Measurement));
    child.once("error", reject);
    child.once("exit", (code) => code === 0 || reject(new Error(`measurement exited with ${code}`)));
  });
}

async function main() {
  if (process.env.BENCH_PGLITE_CHILD) {
    process.send!(await measureOnce(process.env.BENCH_PGLITE_TEMPLATE || undefined));
    return;
  }
  if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error("BENCH_PGLITE_ROUNDS must be a positive integer");
  const dir = await mkdtemp(path.join(os.tmpdir(), "bench-pglite-"));
  const file = path.join(dir, "migrated.tar");
  const fresh: Measurement[] = [];
  const template: Measurement[] = [];
  try {
    fresh.push(await inChild({ BENCH_PGLITE_DUMP: file }));
    while (fresh.length < ROUNDS) fresh.push(await inChild({}));
    for (let round = 0; round < ROUNDS; round++) {
      const m = await inChild({ BENCH_PGLITE_TEMPLATE: file });
      if (m.applied !== 0) throw new Error(`the template lacked ${m.applied} migrations`);
      template.push(m);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const line = (name: string, runs: Measurement[]) =>
    `  ${name.padEnd(9)}  create ${ms(median(runs.map((r) => r.create)))}  migrate ${ms(median(runs.map((r) => r.migrate)))}  total ${ms(median(runs.map((r) => r.create + r.migrate)))}  CPU ${ms(median(runs.map((r) => r.cpu)))}   (totals: ${runs.map((r) => ms(r.create + r.migrate)).join(", ")})`;
  console.log(`bench:pglite  ${ROUNDS} cold opens each, ${fresh[0]!.applied} migrations, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), load ${os.loadavg()[0]!.toFixed(2)}`);
  console.log(line("fresh", fresh));
  console.log(line("template", template));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
