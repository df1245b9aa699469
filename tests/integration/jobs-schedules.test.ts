import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withJobRunner, withTenant } from "@/lib/db";
import { defineSchedule, registerSchedules, runDueSchedules, startScheduler, type ScheduleDefinition } from "@/lib/jobs";
import { SCHEDULE_DEFINITIONS } from "@/lib/jobs/schedule-registry";
import { orgWithMembers, uid } from "../helpers/tenants";
import { waitFor } from "./jobs-helpers";

// Scheduled maintenance tasks (lib/jobs/schedules.ts): private.scheduled_tasks, claimed with FOR UPDATE SKIP LOCKED
// under a lease, run as job_runner, outcome recorded. Each test has task names of its own (the database is shared).

afterAll(closeDb);

const taskName = (what: string) => `t${uid()}.${what}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface TaskRow {
  every_ms: string;
  due_in_seconds: number;
  last_status: string | null;
  last_error: string | null;
  last_result: Record<string, unknown> | null;
  runs: string;
  failures: string;
  leased: boolean;
}

/** As the owner: what the schedule table holds for a task. */
async function taskRow(name: string): Promise<TaskRow | undefined> {
  const [row] = await (await ownerDb()).query<TaskRow>(
    `select every_ms::text, extract(epoch from next_run_at - now())::float8 as due_in_seconds, last_status, last_error, last_result,
            runs::text, failures::text, lease_token is not null as leased
       from private.scheduled_tasks where name = $1`,
    [name],
  );
  return row;
}

/** The injected clock: the owner makes a task due now instead of waiting for its interval. */
async function makeDue(name: string): Promise<void> {
  await (await ownerDb()).query("update private.scheduled_tasks set next_run_at = now() - interval '1 second' where name = $1", [name]);
}

describe("scheduled tasks: once per interval across every worker", () => {
  it("a due task runs exactly once when two workers look for it at the same time, and records its result", async () => {
    const name = taskName("once");
    let started = 0;
    const task = defineSchedule({
      name,
      everyMs: 60_000,
      run: async () => {
        started += 1;
        await sleep(300); // long enough for the other worker to look while this one holds the lease
        return { swept: 3 };
      },
    });
    await registerSchedules([task]);
    const [a, b] = await Promise.all([runDueSchedules({ schedules: [task], workerId: "worker-a" }), runDueSchedules({ schedules: [task], workerId: "worker-b" })]);
    expect(started).toBe(1);
    expect([...a, ...b]).toEqual([{ name, outcome: "succeeded", result: { swept: 3 } }]);
    expect(await taskRow(name)).toMatchObject({ last_status: "succeeded", last_error: null, last_result: { swept: 3 }, runs: "1", failures: "0", leased: false });
  });

  it("two running schedulers run a due task once per interval, not once per worker", async () => {
    const name = taskName("loops");
    let started = 0;
    const task = defineSchedule({
      name,
      everyMs: 60_000,
      run: async () => {
        started += 1;
        await sleep(100);
      },
    });
    const stops = [startScheduler({ schedules: [task], pollIntervalMs: 20, workerId: "loop-a" }), startScheduler({ schedules: [task], pollIntervalMs: 20, workerId: "loop-b" })];
    try {
      await waitFor(async () => (await taskRow(name))?.runs === "1");
      await sleep(400); // many polls of both workers while the task is not due
      expect(started).toBe(1);
      await makeDue(name);
      await waitFor(async () => (await taskRow(name))?.runs === "2");
      await sleep(200);
      expect(started).toBe(2);
    } finally {
      await Promise.all(stops.map((stop) => stop()));
    }
  });

  it("a task is not run before it is due: the next run comes one interval after the last one finished", async () => {
    const name = taskName("due");
    let started = 0;
    const task = defineSchedule({ name, everyMs: 3_600_000, run: async () => void (started += 1) });
    await registerSchedules([task]);
    expect(await runDueSchedules({ schedules: [task] })).toHaveLength(1);
    const row = await taskRow(name);
    expect(row!.due_in_seconds).toBeGreaterThan(3_590);
    expect(row!.due_in_seconds).toBeLessThanOrEqual(3_600);
    expect(await runDueSchedules({ schedules: [task] })).toEqual([]);
    // Registering again (every worker's start) does not make it due, nor does an unchanged interval move it.
    await registerSchedules([task]);
    expect(await runDueSchedules({ schedules: [task] })).toEqual([]);
    expect(started).toBe(1);
    await makeDue(name);
    expect(await runDueSchedules({ schedules: [task] })).toHaveLength(1);
    expect(started).toBe(2);
  });

  it("a failing task records its error (masked, first line, no stack), is not retried before its interval, and runs again at the next", async () => {
    const name = taskName("fails");
    let fail = true;
    const task = defineSchedule({
      name,
      everyMs: 600_000,
      run: async () => {
        if (fail) throw new Error("could not reach postgres://maintenance:hunter2@db.internal:5432/app for alice@example.com\n    at secretFrame (/srv/app/x.ts:1)");
        return { ok: true };
      },
    });
    await registerSchedules([task]);
    const [run] = await runDueSchedules({ schedules: [task] });
    expect(run).toMatchObject({ name, outcome: "failed" });
    const failed = await taskRow(name);
    expect(failed).toMatchObject({ last_status: "failed", failures: "1", runs: "1", leased: false, last_result: null });
    expect(failed!.last_error).toMatch(/^Error: could not reach postgres:\/\/\S+@db\.internal/);
    expect(failed!.last_error).not.toMatch(/hunter2|alice@example\.com|secretFrame|\/srv\/app/);
    expect(failed!.due_in_seconds).toBeGreaterThan(590);
    expect(await runDueSchedules({ schedules: [task] })).toEqual([]);
    // /health/status shows that it failed and when it runs next, never the error itself.
    const { status } = await import("@/lib/health");
    const shown = (await status()).jobs.schedules!.find((s) => s.name === name);
    expect(shown).toEqual({ name, lastStatus: "failed", lastFinishedAt: expect.any(String), nextRunAt: expect.any(String), running: false });
    expect(JSON.stringify((await status()).jobs)).not.toMatch(/could not reach|db\.internal/);
    fail = false;
    await makeDue(name);
    expect(await runDueSchedules({ schedules: [task] })).toEqual([{ name, outcome: "succeeded", result: { ok: true } }]);
    expect(await taskRow(name)).toMatchObject({ last_status: "succeeded", last_error: null, failures: "1", runs: "2" });
  });

  it("a worker that dies mid-run keeps the task from others until its lease expires; then another worker runs it", async () => {
    const name = taskName("orphan");
    let started = 0;
    const task = defineSchedule({ name, everyMs: 60_000, run: async () => void (started += 1) });
    await registerSchedules([task]);
    // The dead worker: it claimed the task under a lease and never finished it.
    const [claimed] = await withJobRunner((tx) => tx.query<{ name: string }>("select name from private.claim_schedules('dead-worker', $1::text[], 1, 60)", [[name]]));
    expect(claimed?.name).toBe(name);
    expect(await runDueSchedules({ schedules: [task] })).toEqual([]);
    expect(started).toBe(0);
    await (await ownerDb()).query("update private.scheduled_tasks set locked_until = now() - interval '1 second' where name = $1", [name]);
    expect(await runDueSchedules({ schedules: [task] })).toMatchObject([{ name, outcome: "succeeded" }]);
    expect(started).toBe(1);
  });

  it("a stopped scheduler tells a running task to stop and releases it: not counted, still due", async () => {
    const name = taskName("stop");
    let sawAbort = false;
    const task: ScheduleDefinition = defineSchedule({
      name,
      everyMs: 60_000,
      run: (ctx) =>
        new Promise((_, reject) => {
          ctx.signal.addEventListener("abort", () => {
            sawAbort = true;
            reject(new Error("stopped"));
          });
        }),
    });
    const stop = startScheduler({ schedules: [task], pollIntervalMs: 20 });
    await waitFor(async () => (await taskRow(name))?.leased === true);
    await stop();
    expect(sawAbort).toBe(true);
    expect(await taskRow(name)).toMatchObject({ leased: false, runs: "0", last_status: null });
    expect((await taskRow(name))!.due_in_seconds).toBeLessThanOrEqual(0);
  });
});

describe("scheduled tasks run as a narrow principal", () => {
  it("request roles cannot read the schedules, claim one or run a task's function; job_runner needs the task's live lease", async () => {
    const a = await orgWithMembers("Schedules");
    await expect(withTenant(a.owner.claims, (tx) => tx.query("select * from private.scheduled_tasks"))).rejects.toMatchObject({ code: "42501" });
    await expect(withTenant(a.owner.claims, (tx) => tx.query("select * from private.claim_schedules('x', array['documents.scan-sweep'], 1, 60)"))).rejects.toMatchObject({
      code: "42501",
    });
    await expect(withTenant(a.owner.claims, (tx) => tx.query("select * from private.sweep_unscanned_documents(gen_random_uuid(), 10)"))).rejects.toMatchObject({ code: "42501" });
    // job_runner itself reads no table ...
    await expect(withJobRunner((tx) => tx.query("select * from private.scheduled_tasks"))).rejects.toMatchObject({ code: "42501" });
    // ... and a task's function refuses it without that task's live lease.
    await expect(withJobRunner((tx) => tx.query("select * from private.sweep_unscanned_documents(gen_random_uuid(), 10)"))).rejects.toMatchObject({ code: "28000" });
    const other = taskName("other");
    await registerSchedules([defineSchedule({ name: other, everyMs: 60_000, run: async () => {} })]);
    const [claimed] = await withJobRunner((tx) => tx.query<{ lease_token: string }>("select lease_token from private.claim_schedules('w', $1::text[], 1, 60)", [[other]]));
    // Another task's lease does not open this task's function.
    await expect(withJobRunner((tx) => tx.query("select * from private.sweep_unscanned_documents($1, 10)", [claimed!.lease_token]))).rejects.toMatchObject({ code: "28000" });
  });

  // On PostgreSQL the test processes run no in-process worker (vitest.config.ts); npm run worker runs the same pair.
  it.skipIf(Boolean(process.env.DATABASE_URL))("the in-process worker runs the product's scheduled tasks beside its jobs", async () => {
    const { startInProcessWorker } = await import("@/lib/jobs/in-process");
    const holder = globalThis as typeof globalThis & { __tenantguardJobWorker?: () => Promise<void> };
    startInProcessWorker();
    try {
      expect(holder.__tenantguardJobWorker).toBeTypeOf("function");
      const swept = await waitFor(async () => {
        const row = await taskRow("documents.scan-sweep");
        return row && row.runs !== "0" ? row : undefined;
      });
      // No scanner in the test environment: the sweep ran and said why it did nothing.
      expect(swept).toMatchObject({ last_status: "succeeded", last_result: { skipped: "no scanner configured" } });
    } finally {
      await holder.__tenantguardJobWorker?.();
      holder.__tenantguardJobWorker = undefined;
    }
  });

  it("the product's schedules are registered for the workers, with valid names and intervals", () => {
    expect(SCHEDULE_DEFINITIONS.map((s) => s.name)).toContain("documents.scan-sweep");
    for (const s of SCHEDULE_DEFINITIONS) expect(defineSchedule(s)).toBe(s);
    expect(() => defineSchedule({ name: "Bad Name", everyMs: 60_000, run: async () => {} })).toThrow(/not a valid name/);
    expect(() => defineSchedule({ name: "too.often", everyMs: 10, run: async () => {} })).toThrow(/everyMs/);
  });
});
