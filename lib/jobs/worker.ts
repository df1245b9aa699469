import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { Counter } from "prom-client";
import { withJobPrincipal } from "@/lib/db";
import { logger as rootLogger, type Logger } from "@/lib/observability/logger";
import { metricsRegistry } from "@/lib/observability/metrics";
import { DEFAULT_BACKOFF, retryDelayMs, type BackoffPolicy } from "./backoff";
import { describeFailure } from "./errors";
import { claimJobs, completeJob, extendLease, failJob, releaseJob, type ClaimedJob } from "./queue";
import { JOB_KIND, PermanentJobError, type JobContext, type JobDefinition } from "./types";

export interface WorkerOptions {
  handlers: readonly JobDefinition[];
  /** Jobs run at once by this worker (default 4). */
  concurrency?: number;
  /** How long an idle worker waits before looking for due jobs again (default 1000 ms). */
  pollIntervalMs?: number;
  /** A claimed job's lease; renewed every third of it while the handler runs (default 60 s). */
  leaseSeconds?: number;
  /** On stop, how long running handlers may finish before their leases are released (default 10 s). */
  stopGraceMs?: number;
  backoff?: BackoffPolicy;
  /** For tests: the jitter's source (default Math.random). */
  random?: () => number;
  workerId?: string;
  logger?: Logger;
  /** Called whenever a claim found nothing due and no job of this worker is running (drainJobs). */
  onIdle?: () => void;
}

/** Stops claiming, lets running handlers finish within the grace period, releases the leases of the rest. */
export type StopWorker = () => Promise<void>;

interface JobMetrics {
  jobs: Counter<"kind" | "outcome">;
}
const globalMetrics = globalThis as typeof globalThis & { __tenantguardJobMetrics?: JobMetrics };
function jobMetrics(): JobMetrics {
  return (globalMetrics.__tenantguardJobMetrics ??= {
    jobs: new Counter({
      name: "jobs_total",
      help: "Job attempts finished, by kind and outcome (succeeded, retry, dead, released, lease_lost).",
      labelNames: ["kind", "outcome"] as const,
      registers: [metricsRegistry()],
    }),
  });
}

type Outcome = "succeeded" | "retry" | "dead" | "released" | "lease_lost";

/**
 * Runs the jobs of the given kinds from the database queue until stopped. Several workers (processes or instances)
 * on one database never run a job twice at once: a claim takes due jobs with FOR UPDATE SKIP LOCKED and leases each
 * to one worker; a worker that dies loses its jobs when the lease expires, and they are claimed again.
 */
export function startWorker(options: WorkerOptions): StopWorker {
  const handlers = new Map<string, JobDefinition>();
  for (const definition of options.handlers) {
    if (!JOB_KIND.test(definition.kind)) throw new Error(`Job kind "${definition.kind}" is not a valid kind.`);
    if (handlers.has(definition.kind)) throw new Error(`Job kind "${definition.kind}" has two handlers.`);
    handlers.set(definition.kind, definition);
  }
  const kinds = [...handlers.keys()];
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 4, 100));
  const pollIntervalMs = Math.max(10, options.pollIntervalMs ?? 1_000);
  const leaseSeconds = Math.max(1, Math.min(options.leaseSeconds ?? 60, 3_600));
  const stopGraceMs = Math.max(0, options.stopGraceMs ?? 10_000);
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const random = options.random ?? Math.random;
  const workerId = (options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`).slice(0, 128);
  const log = (options.logger ?? rootLogger).child({ scope: "jobs", worker: workerId });

  const running = new Map<string, { job: ClaimedJob; abort: AbortController; done: Promise<void> }>();
  let stopping = false;
  let wake: (() => void) | undefined;
  const nudge = () => wake?.();

  const finish = (job: ClaimedJob, outcome: Outcome, startedAt: number, error?: string) => {
    jobMetrics().jobs.inc({ kind: job.kind, outcome });
    const entry = { job: job.id, kind: job.kind, org: job.orgId, attempt: job.attempt, maxAttempts: job.maxAttempts, outcome, ms: Date.now() - startedAt };
    if (outcome === "succeeded" || outcome === "released") log.info(entry, "job finished");
    else log.warn(error === undefined ? entry : { ...entry, error }, "job failed");
  };

  async function runJob(job: ClaimedJob, abort: AbortController): Promise<void> {
    const startedAt = Date.now();
    const definition = handlers.get(job.kind)!;
    // VAL-1: a payload its kind's schema refuses can never succeed: dead at once, with the offending fields' paths
    // (never their values).
    const parsed = definition.payload.safeParse(job.payload);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => i.path.join(".") || "(payload)").slice(0, 5).join(", ");
      const error = `InvalidPayload: the payload does not match the schema of ${job.kind} (${fields})`;
      await failJob(job, error, 0, true);
      finish(job, "dead", startedAt, error);
      return;
    }
    let leaseLost = false;
    const heartbeat = setInterval(() => {
      extendLease(job, leaseSeconds).then(
        (held) => {
          if (!held && !leaseLost) {
            leaseLost = true;
            abort.abort(new Error("the job's lease was lost"));
          }
        },
        (error: unknown) => log.warn({ job: job.id, error: describeFailure(error) }, "job lease heartbeat failed"),
      );
    }, (leaseSeconds * 1000) / 3);
    heartbeat.unref();
    const ctx: JobContext = {
      job: { id: job.id, kind: job.kind, orgId: job.orgId, attempt: job.attempt, maxAttempts: job.maxAttempts },
      withOrg: (fn) => withJobPrincipal({ jobId: job.id, kind: job.kind, orgId: job.orgId, leaseToken: job.leaseToken }, fn),
      signal: abort.signal,
    };
    let failure: unknown;
    let failed = false;
    try {
      await definition.run(parsed.data, ctx);
    } catch (error) {
      failed = true;
      failure = error;
    } finally {
      clearInterval(heartbeat);
    }
    if (!failed) {
      const held = await completeJob(job);
      finish(job, held ? "succeeded" : "lease_lost", startedAt);
      return;
    }
    if (stopping && abort.signal.aborted && !leaseLost) {
      // Stopped mid-job: the attempt is not counted, the job is due again at once.
      await releaseJob(job);
      finish(job, "released", startedAt);
      return;
    }
    const error = describeFailure(failure);
    const state = await failJob(job, error, retryDelayMs(job.attempt, backoff, random), failure instanceof PermanentJobError);
    finish(job, state === null ? "lease_lost" : state === "dead" ? "dead" : "retry", startedAt, error);
  }

  function launch(job: ClaimedJob) {
    const abort = new AbortController();
    const done = runJob(job, abort)
      .catch((error: unknown) => {
        // The database refused the completion or failure itself: the lease expires and the job is retried.
        log.error({ job: job.id, kind: job.kind, org: job.orgId, error: describeFailure(error) }, "job outcome could not be recorded");
      })
      .finally(() => {
        running.delete(job.id);
        nudge();
      });
    running.set(job.id, { job, abort, done });
  }

  const loop = (async () => {
    let idleMs = pollIntervalMs;
    while (!stopping) {
      const free = concurrency - running.size;
      let claimed: ClaimedJob[] = [];
      if (free > 0) {
        try {
          claimed = await claimJobs(workerId, kinds, free, leaseSeconds);
          idleMs = pollIntervalMs;
          if (claimed.length === 0 && running.size === 0) options.onIdle?.();
        } catch (error) {
          // The database is away: keep polling, more slowly, without crashing the process.
          log.warn({ error: describeFailure(error) }, "jobs could not be claimed");
          idleMs = Math.min(idleMs * 2, 30_000);
        }
        if (stopping) {
          for (const job of claimed) await releaseJob(job).catch(() => {});
          break;
        }
        for (const job of claimed) launch(job);
      }
      // A full claim means more may be due: look again as soon as a slot frees up; else wait for the next poll.
      if (claimed.length > 0 && claimed.length === free && running.size < concurrency) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, claimed.length > 0 && claimed.length === free ? 60_000 : idleMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  })();

  let stopped: Promise<void> | undefined;
  return () =>
    (stopped ??= (async () => {
      stopping = true;
      nudge();
      await loop;
      const inFlight = [...running.values()];
      const grace = new Promise<void>((resolve) => setTimeout(resolve, stopGraceMs).unref());
      await Promise.race([Promise.all(inFlight.map((r) => r.done)), grace]);
      // Past the grace period: handlers are told to stop; their jobs go back to pending (released, not failed).
      for (const r of running.values()) r.abort.abort(new Error("the worker is stopping"));
      const aborted = new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref());
      await Promise.race([Promise.all([...running.values()].map((r) => r.done)), aborted]);
      // A handler that ignores its signal: its lease is released so another worker takes the job now, not after
      // the lease; this process is about to exit.
      for (const r of running.values()) {
        await releaseJob(r.job).catch(() => false);
        log.warn({ job: r.job.id, kind: r.job.kind, org: r.job.orgId, attempt: r.job.attempt }, "job released while its handler was still running");
      }
    })());
}

/**
 * Runs the due jobs of the given kinds until none is due and none is running, then stops: for tests and one-off
 * scripts (a retry waiting for its backoff is not due, so it is left for later).
 */
export function drainJobs(options: Omit<WorkerOptions, "pollIntervalMs" | "onIdle">): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let draining = false;
    const stop: StopWorker = startWorker({
      ...options,
      pollIntervalMs: 10,
      onIdle: () => {
        if (draining) return;
        draining = true;
        queueMicrotask(() => void stop().then(resolve, reject));
      },
    });
  });
}
