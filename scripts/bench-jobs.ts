// `npm run bench:jobs` (= tsx --conditions=react-server scripts/bench-jobs.ts): what the durable job queue (lib/jobs)
// sustains on PostgreSQL, beside the limit of the same database: a bare INSERT + DELETE loop.
//
// A benchmark, not a test: it exits 0 once it has measured (non-zero only if it could not run at all). In one run,
// on one machine, against one database:
//   baseline   a bare `insert ... returning id` then `delete ... where id = $1` per job, as the owner, no transaction,
//              no RLS, on 1 and on 4 connections at once: the least a job's life (written, then gone) can cost.
//   enqueue    enqueueJob in a tenant transaction (withTenant: BEGIN + claims and role, the RLS-checked INSERT,
//              COMMIT), one job per transaction, from 1 and from 4 callers at once.
//   complete   jobs already in the queue, run by 1 and by 4 workers (startWorker, concurrency 1 each, one process,
//              a no-op handler): claim (FOR UPDATE SKIP LOCKED, lease), run, complete, each its own transaction as
//              job_runner. Timed until every job is `succeeded`.
// The ratio published is queue jobs/s over baseline jobs/s at the same parallelism.
// Settings (environment): BENCH_JOBS=2000 (jobs per measurement). PostgreSQL only: DATABASE_URL (runtime role) and
// MIGRATION_DATABASE_URL (owner). With the embedded database it says so and exits 0.
import { randomBytes } from "node:crypto";
import os from "node:os";
import { QUICK, recordFigures, type FigureInput } from "./bench/results";

process.env.DB_POOL_MAX ??= "20";
process.env.LOG_LEVEL ??= "warn";

const JOBS = Number(process.env.BENCH_JOBS ?? (QUICK ? 300 : 2_000));

async function main() {
  if (!process.env.DATABASE_URL || !process.env.MIGRATION_DATABASE_URL) {
    console.log("bench:jobs measures PostgreSQL: set DATABASE_URL and MIGRATION_DATABASE_URL. Skipped.");
    return;
  }
  if (!Number.isInteger(JOBS) || JOBS < 10) throw new Error("BENCH_JOBS must be an integer of at least 10");
  const { closeDb, migrate, ownerDb, withTenant } = await import("@/lib/db");
  const { markVerified } = await import("@/lib/auth/claims");
  const { enqueueJob, startWorker, defineJob } = await import("@/lib/jobs");
  const { z } = await import("zod");

  const owner = await ownerDb();
  await migrate(owner);
  const suffix = randomBytes(6).toString("hex");
  const orgId = `org_bench${suffix}`;
  const userId = `user_bench${suffix}`;
  await owner.query("insert into public.organizations (id, name, slug) values ($1, 'Bench jobs', $2)", [orgId, `bench-jobs-${suffix}`]);
  await owner.query("insert into public.users (id) values ($1)", [userId]);
  await owner.query("insert into public.memberships (org_id, user_id, role) values ($1, $2, 'member')", [orgId, userId]);
  const claims = markVerified({ sub: userId, sid: "sess_bench", iss: "bench", azp: "bench", exp: 0, nbf: 0, iat: 0, o: { id: orgId, rol: "member" } });
  const scratch = `bench_jobs_${suffix}`;
  await owner.exec(`create schema ${scratch}; create table ${scratch}.baseline (id bigint generated always as identity primary key, payload jsonb not null)`);

  /** n operations over `parallel` loops; returns operations per second. */
  const timed = async (parallel: number, n: number, op: (i: number) => Promise<unknown>) => {
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        for (let i = next++; i < n; i = next++) await op(i);
      }),
    );
    return n / (Number(process.hrtime.bigint() - started) / 1e9);
  };

  const results: Record<string, number> = {};
  try {
    for (const parallel of [1, 4]) {
      // Warm-up: connections, prepared statements, plans.
      await timed(parallel, 100, async (i) => {
        const [row] = await owner.query<{ id: number }>(`insert into ${scratch}.baseline (payload) values ($1::jsonb) returning id`, [JSON.stringify({ n: i })]);
        await owner.query(`delete from ${scratch}.baseline where id = $1`, [row!.id]);
      });
      results[`baseline_${parallel}`] = await timed(parallel, JOBS, async (i) => {
        const [row] = await owner.query<{ id: number }>(`insert into ${scratch}.baseline (payload) values ($1::jsonb) returning id`, [JSON.stringify({ n: i })]);
        await owner.query(`delete from ${scratch}.baseline where id = $1`, [row!.id]);
      });

      const enqueueKind = `bench${suffix}.enqueue${parallel}`;
      await timed(parallel, 100, (i) => withTenant(claims, (tx) => enqueueJob(tx, { kind: `${enqueueKind}w`, orgId, payload: { n: i } })));
      results[`enqueue_${parallel}`] = await timed(parallel, JOBS, (i) => withTenant(claims, (tx) => enqueueJob(tx, { kind: enqueueKind, orgId, payload: { n: i } })));
      // Jobs nobody runs would sit in front of the measured ones in the claim's run_at order (a worker skips the
      // kinds it does not run); the queue is left as a deployment's workers would find it.
      await owner.query("delete from public.jobs where org_id = $1 and kind like $2", [orgId, `bench${suffix}.enqueue%`]);

      const kind = `bench${suffix}.run${parallel}`;
      await owner.query(
        `insert into public.jobs (org_id, kind, payload, created_by) select $1, $2, jsonb_build_object('n', g), $3 from generate_series(1, $4) g`,
        [orgId, kind, userId, JOBS],
      );
      const job = defineJob({ kind, payload: z.object({ n: z.number() }), run: async () => {} });
      const started = process.hrtime.bigint();
      const stops = Array.from({ length: parallel }, () => startWorker({ handlers: [job], concurrency: 1, pollIntervalMs: 20 }));
      for (;;) {
        const [row] = await owner.query<{ n: number }>("select count(*)::int as n from public.jobs where kind = $1 and state = 'succeeded'", [kind]);
        if (row!.n >= JOBS) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      results[`complete_${parallel}`] = JOBS / (Number(process.hrtime.bigint() - started) / 1e9);
      await Promise.all(stops.map((stop) => stop()));
    }
    // One worker at its default concurrency (4): claims in batches of up to 4.
    {
      const kind = `bench${suffix}.default`;
      await owner.query(
        `insert into public.jobs (org_id, kind, payload, created_by) select $1, $2, jsonb_build_object('n', g), $3 from generate_series(1, $4) g`,
        [orgId, kind, userId, JOBS],
      );
      const job = defineJob({ kind, payload: z.object({ n: z.number() }), run: async () => {} });
      const started = process.hrtime.bigint();
      const stop = startWorker({ handlers: [job], pollIntervalMs: 20 });
      for (;;) {
        const [row] = await owner.query<{ n: number }>("select count(*)::int as n from public.jobs where kind = $1 and state = 'succeeded'", [kind]);
        if (row!.n >= JOBS) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      results.complete_default = JOBS / (Number(process.hrtime.bigint() - started) / 1e9);
      await stop();
    }
  } finally {
    await owner.exec(`drop schema ${scratch} cascade`);
    await owner.query("delete from public.organizations where id = $1", [orgId]);
    await owner.query("delete from public.users where id = $1", [userId]);
    await closeDb();
  }

  const f = (n: number) => n.toFixed(0);
  const r = (a: number, b: number) => (a / b).toFixed(2);
  console.log(`\nbench:jobs — PostgreSQL, ${JOBS} jobs per measurement, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"})\n`);
  console.log("| parallel | baseline INSERT+DELETE /s | enqueue jobs/s | completed jobs/s | enqueue / baseline | completed / baseline |");
  console.log("|---|---|---|---|---|---|");
  for (const p of [1, 4]) {
    const base = results[`baseline_${p}`]!;
    console.log(`| ${p} | ${f(base)} | ${f(results[`enqueue_${p}`]!)} | ${f(results[`complete_${p}`]!)} | ${r(results[`enqueue_${p}`]!, base)} | ${r(results[`complete_${p}`]!, base)} |`);
  }
  console.log(`\nOne worker at its default concurrency (4 jobs at once): ${f(results.complete_default!)} completed jobs/s (${r(results.complete_default!, results.baseline_4!)} of the 4-connection baseline).`);
  const figures: FigureInput[] = [];
  for (const p of [1, 4]) {
    figures.push(
      { name: `enqueue / baseline, ${p} at once`, value: results[`enqueue_${p}`]! / results[`baseline_${p}`]!, unit: "ratio" },
      { name: `completed / baseline, ${p} worker(s)`, value: results[`complete_${p}`]! / results[`baseline_${p}`]!, unit: "ratio" },
    );
  }
  figures.push({ name: "completed, one worker at concurrency 4", value: results.complete_default!, unit: "jobs/s" });
  await recordFigures("jobs", figures);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
