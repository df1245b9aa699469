import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { withJobRunner, type Queryable } from "@/lib/db";
import { logger as rootLogger, type Logger } from "@/lib/observability/logger";
import { describeFailure } from "./errors";

/**
 * Scheduled maintenance tasks: a named task run once per interval across every worker (scan sweeps, pruning,
 * retention, key rotation). Each task is a row of private.scheduled_tasks; a worker claims a due one with FOR UPDATE
 * SKIP LOCKED under a lease (renewed while it runs), so several workers never run it twice at once and a worker that
 * dies loses it at the lease's end. The outcome (a short masked error, or the counts the task returned) is recorded,
 * and the next run is due one interval after this one finished, whether it succeeded or failed.
 *
 * The task runs as `job_runner` (never the owner): its work is a SECURITY DEFINER function of its own, granted to
 * job_runner only, whose first statement is `perform private.assert_schedule_lease('<name>', p_lease)`; the task
 * calls it with `ctx.leaseToken` through `ctx.withRunner`. See docs/jobs.md.
 */

/** A task's name: lower-case, dotted or dashed, as the table's check constraint allows (`documents.scan-sweep`). */
export const SCHEDULE_NAME = /^[a-z][a-z0-9_.-]{1,63}$/;

/** What a run reports when it succeeds: a few counts, kept as the task's last result. */
export type ScheduleResult = Record<string, number | string | boolean | null>;

export interface ScheduleContext {
  schedule: { name: string; everyMs: number };
  /** The lease this run holds: pass it to the task's function (private.assert_schedule_lease checks it). */
  leaseToken: string;
  /** fn in one short transaction as `job_runner`. */
  withRunner<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Aborted when the lease is lost or the worker stops: stop and throw. */
  signal: AbortSignal;
}

export interface ScheduleDefinition {
  name: string;
  /** Interval between the end of one run and the start of the next (at least 1 s, at most 31 days). */
  everyMs: number;
  /** The run's lease; renewed every third of it while the task runs (default 5 minutes). */
  leaseMs?: number;
  run(ctx: ScheduleContext): Promise<ScheduleResult | void>;
}

export function defineSchedule(definition: ScheduleDefinition): ScheduleDefinition {
  if (!SCHEDULE_NAME.test(definition.name)) throw new Error(`Schedule name "${definition.name}" is not a valid name.`);
  if (!Number.isInteger(definition.everyMs) || definition.everyMs < 1_000 || definition.everyMs > 2_678_400_000) {
    throw new Error(`Schedule "${definition.name}": everyMs must be a whole number of ms between 1 s and 31 days.`);
  }
  return definition;
}

const MAX_RESULT_BYTES = 1_024;

/** A result is kept only as a small flat object of scalars (never row data): anything else is dropped. */
function boundedResult(result: ScheduleResult | void): ScheduleResult | null {
  if (!result || typeof result !== "object") return null;
  const kept: ScheduleResult = {};
  for (const [key, value] of Object.entries(result).slice(0, 20)) {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(key)) continue;
    if (value === null || typeof value === "number" || typeof value === "boolean") kept[key] = value;
    else if (typeof value === "string") kept[key] = value.slice(0, 100);
  }
  return JSON.stringify(kept).length <= MAX_RESULT_BYTES ? kept : null;
}

export interface ScheduleRunnerOptions {
  schedules: readonly ScheduleDefinition[];
  workerId?: string;
  logger?: Logger;
  /** Aborted when the worker stops: no further claim, and a running task is told to stop (and released). */
  signal?: AbortSignal;
}

export interface ScheduleRun {
  name: string;
  outcome: "succeeded" | "failed" | "lease_lost";
  error?: string;
  result?: ScheduleResult | null;
}

function indexed(schedules: readonly ScheduleDefinition[]): Map<string, ScheduleDefinition> {
  const byName = new Map<string, ScheduleDefinition>();
  for (const s of schedules) {
    defineSchedule(s);
    if (byName.has(s.name)) throw new Error(`Schedule "${s.name}" is defined twice.`);
    byName.set(s.name, s);
  }
  return byName;
}

/** Declares the tasks in the database (a new one is due at once; a changed interval applies from now). */
export async function registerSchedules(schedules: readonly ScheduleDefinition[]): Promise<void> {
  for (const s of indexed(schedules).values()) {
    await withJobRunner((tx) => tx.query("select private.register_schedule($1, $2)", [s.name, s.everyMs]));
  }
}

const workerName = () => `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`.slice(0, 128);

const DEFAULT_LEASE_MS = 300_000;
const leaseSecondsOf = (s: ScheduleDefinition) => Math.ceil(Math.max(1_000, Math.min(s.leaseMs ?? DEFAULT_LEASE_MS, 86_400_000)) / 1000);

const extendLease = (name: string, leaseToken: string, seconds: number) =>
  withJobRunner((tx) => tx.query<{ held: boolean }>("select private.extend_schedule_lease($1, $2, $3) as held", [name, leaseToken, seconds])).then(([row]) => row?.held === true);

async function runOne(definition: ScheduleDefinition, leaseToken: string, log: Logger, stop?: AbortSignal): Promise<ScheduleRun> {
  const leaseSeconds = leaseSecondsOf(definition);
  const abort = new AbortController();
  const onStop = () => abort.abort(new Error("the worker is stopping"));
  stop?.addEventListener("abort", onStop, { once: true });
  let leaseLost = false;
  const heartbeat = setInterval(() => {
    extendLease(definition.name, leaseToken, leaseSeconds).then(
      (held) => {
        if (!held && !leaseLost) {
          leaseLost = true;
          abort.abort(new Error("the schedule's lease was lost"));
        }
      },
      (error: unknown) => log.warn({ schedule: definition.name, error: describeFailure(error) }, "schedule lease heartbeat failed"),
    );
  }, (leaseSeconds * 1000) / 3);
  heartbeat.unref();
  const startedAt = Date.now();
  let error: string | null = null;
  let result: ScheduleResult | null = null;
  try {
    // The claim's lease covers the longest task claimable; this task's own starts now.
    if (!(await extendLease(definition.name, leaseToken, leaseSeconds))) throw new Error("the schedule's lease was lost");
    result = boundedResult(
      await definition.run({ schedule: { name: definition.name, everyMs: definition.everyMs }, leaseToken, withRunner: withJobRunner, signal: abort.signal }),
    );
  } catch (failure) {
    error = describeFailure(failure);
  } finally {
    clearInterval(heartbeat);
    stop?.removeEventListener("abort", onStop);
  }
  if (error !== null && stop?.aborted && !leaseLost) {
    // Stopped mid-run: not counted; the task stays due for the next worker.
    await withJobRunner((tx) => tx.query("select private.release_schedule($1, $2)", [definition.name, leaseToken]));
    log.info({ scope: "schedules", schedule: definition.name }, "scheduled task released: the worker is stopping");
    return { name: definition.name, outcome: "lease_lost", error };
  }
  const [row] = await withJobRunner((tx) =>
    tx.query<{ held: boolean }>("select private.finish_schedule($1, $2, $3, $4::jsonb) as held", [definition.name, leaseToken, error, result === null ? null : JSON.stringify(result)]),
  );
  const outcome: ScheduleRun["outcome"] = !row?.held ? "lease_lost" : error === null ? "succeeded" : "failed";
  const entry = { scope: "schedules", schedule: definition.name, outcome, ms: Date.now() - startedAt };
  if (outcome === "succeeded") log.info({ ...entry, result }, "scheduled task finished");
  else log.warn(error === null ? entry : { ...entry, error }, "scheduled task failed");
  return { name: definition.name, outcome, ...(error === null ? { result } : { error }) };
}

/**
 * One pass: claims every due task of `schedules` that no live worker holds and runs them one after another. What ran
 * is returned (for tests and one-off scripts); the loop (startScheduler) calls it on every poll.
 */
export async function runDueSchedules(options: ScheduleRunnerOptions): Promise<ScheduleRun[]> {
  const byName = indexed(options.schedules);
  if (byName.size === 0) return [];
  const log = options.logger ?? rootLogger;
  const workerId = (options.workerId ?? workerName()).slice(0, 128);
  const runs: ScheduleRun[] = [];
  const claimLease = Math.max(...[...byName.values()].map(leaseSecondsOf));
  while (!options.signal?.aborted) {
    // One at a time, each under its own lease: a long task never holds the leases of the ones after it.
    const claimed = await withJobRunner((tx) =>
      tx.query<{ name: string; lease_token: string }>("select name, lease_token from private.claim_schedules($1, $2::text[], 1, $3)", [
        workerId,
        [...byName.keys()],
        claimLease,
      ]),
    );
    const next = claimed[0];
    if (!next) return runs;
    runs.push(await runOne(byName.get(next.name)!, next.lease_token, log, options.signal));
  }
  return runs;
}

export interface SchedulerOptions extends ScheduleRunnerOptions {
  /** How often due tasks are looked for (default 30 s; tasks are coarse). */
  pollIntervalMs?: number;
}

/**
 * Runs the given tasks until stopped: registers them, then claims and runs the due ones on every poll. Returns a stop
 * function: no further claim, a running task is told to stop (ctx.signal) and its lease released once it returns.
 */
export function startScheduler(options: SchedulerOptions): () => Promise<void> {
  indexed(options.schedules);
  const log = (options.logger ?? rootLogger).child({ scope: "schedules" });
  const workerId = (options.workerId ?? workerName()).slice(0, 128);
  const pollIntervalMs = Math.max(10, options.pollIntervalMs ?? 30_000);
  let stopping = false;
  const stop = new AbortController();
  let wake: (() => void) | undefined;
  let registered = false;
  const loop = (async () => {
    let idleMs = pollIntervalMs;
    while (!stopping) {
      try {
        if (!registered) {
          await registerSchedules(options.schedules);
          registered = true;
        }
        await runDueSchedules({ schedules: options.schedules, workerId, logger: log, signal: stop.signal });
        idleMs = pollIntervalMs;
      } catch (error) {
        log.warn({ error: describeFailure(error) }, "scheduled tasks could not be claimed");
        idleMs = Math.min(idleMs * 2, Math.max(pollIntervalMs, 60_000));
      }
      if (stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, idleMs);
        timer.unref?.();
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  })();
  return async () => {
    stopping = true;
    stop.abort();
    wake?.();
    await loop;
  };
}

export interface ScheduleStatus {
  name: string;
  everyMs: number;
  nextRunAt: Date;
  lastFinishedAt: Date | null;
  lastStatus: "succeeded" | "failed" | null;
  running: boolean;
}

/** OBS-4: every task's last outcome and next run, as job_runner (no error text, no result: /health/status is public). */
export async function scheduleStatus(): Promise<ScheduleStatus[]> {
  const rows = await withJobRunner((tx) =>
    tx.query<{ name: string; every_ms: string; next_run_at: Date; last_finished_at: Date | null; last_status: ScheduleStatus["lastStatus"]; running: boolean }>(
      "select name, every_ms::text, next_run_at, last_finished_at, last_status, running from private.schedule_status()",
    ),
  );
  return rows.map((r) => ({
    name: r.name,
    everyMs: Number(r.every_ms),
    nextRunAt: new Date(r.next_run_at),
    lastFinishedAt: r.last_finished_at === null ? null : new Date(r.last_finished_at),
    lastStatus: r.last_status,
    running: r.running,
  }));
}

