import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { closeDb, ownerDb } from "@/lib/db";
import { defineJob, startWorker } from "@/lib/jobs";
import { createOrg } from "../helpers/tenants";
import { jobsOfKind, testKind, waitFor } from "./jobs-helpers";

/**
 * Workers in processes of their own against one PostgreSQL (PGlite is one database per process, so this is the
 * PostgreSQL run's evidence): several workers never run a job twice, and a worker killed mid-job (SIGKILL, nothing
 * cleaned up) loses the job only until its lease expires.
 */
const postgres = Boolean(process.env.DATABASE_URL);

afterAll(closeDb);

interface Child {
  process: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function spawnWorker(kind: string, mode: "count" | "hang", extra: Record<string, string> = {}): Child {
  // node itself with tsx as a loader (not the tsx CLI, which runs the script in a second process that a SIGKILL of
  // the first would leave running).
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=react-server", path.resolve("tests/integration/jobs-worker.child.ts")], {
    env: { ...process.env, NODE_ENV: "test", LOG_LEVEL: "error", JOB_CHILD_KIND: kind, JOB_CHILD_MODE: mode, ...extra },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: string[] = [];
  let buffer = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { process: child, lines, exited };
}

async function enqueueMany(orgId: string, kind: string, count: number): Promise<void> {
  // As the owner, in one statement: what is measured here is claiming, not enqueueing.
  await (await ownerDb()).query(
    `insert into public.jobs (org_id, kind, payload, created_by)
     select $1, $2, jsonb_build_object('n', g), 'user_test' from generate_series(1, $3) g`,
    [orgId, kind, count],
  );
}

describe.skipIf(!postgres)("workers in separate processes on one PostgreSQL", () => {
  it("two workers, 500 jobs: each job runs exactly once", { timeout: 180_000 }, async () => {
    const org = await createOrg("JobsTwoWorkers");
    const kind = testKind("once");
    const workers = [spawnWorker(kind, "count"), spawnWorker(kind, "count")];
    try {
      await waitFor(async () => workers.every((w) => w.lines.includes("READY")), 60_000);
      await enqueueMany(org.id, kind, 500);
      await waitFor(async () => {
        const [row] = await (await ownerDb()).query<{ n: number }>("select count(*)::int as n from public.jobs where kind = $1 and state = 'succeeded'", [kind]);
        return row!.n === 500;
      }, 120_000, 200);
    } finally {
      for (const w of workers) w.process.kill("SIGTERM");
      await Promise.all(workers.map((w) => w.exited));
    }
    const ran = workers.flatMap((w) => w.lines.filter((l) => l.startsWith("RAN ")).map((l) => l.slice(4)));
    const ids = (await jobsOfKind(kind)).map((j) => j.id);
    expect(ids).toHaveLength(500);
    expect(ran.length).toBe(500);
    expect(new Set(ran).size).toBe(500);
    expect([...new Set(ran)].sort()).toEqual([...ids].sort());
    // Both processes took part (each ran some of the jobs), and each job needed exactly one attempt.
    for (const w of workers) expect(w.lines.filter((l) => l.startsWith("RAN ")).length).toBeGreaterThan(0);
    expect((await jobsOfKind(kind)).every((j) => j.attempts === 1)).toBe(true);
    for (const w of workers) expect(w.lines).toContain("STOPPED");
  });

  it("a worker killed with SIGKILL mid-job: the job is claimed again after its lease and completes", { timeout: 120_000 }, async () => {
    const org = await createOrg("JobsKilled");
    const kind = testKind("killed");
    const doomed = spawnWorker(kind, "hang", { JOB_CHILD_LEASE: "2", JOB_CHILD_CONCURRENCY: "1" });
    await waitFor(async () => doomed.lines.includes("READY"), 60_000);
    await enqueueMany(org.id, kind, 1);
    const started = await waitFor(async () => doomed.lines.find((l) => l.startsWith("STARTED ")), 30_000);
    doomed.process.kill("SIGKILL");
    await doomed.exited;
    const jobId = started.slice("STARTED ".length);
    expect((await jobsOfKind(kind))[0]).toMatchObject({ id: jobId, state: "running", attempts: 1 });
    let ranHere: string | undefined;
    const job = defineJob({ kind, payload: z.object({ n: z.number() }), run: async (_p, ctx) => void (ranHere = ctx.job.id) });
    const stop = startWorker({ handlers: [job], pollIntervalMs: 100 });
    try {
      await waitFor(async () => (await jobsOfKind(kind))[0]?.state === "succeeded", 60_000, 100);
    } finally {
      await stop();
    }
    expect(ranHere).toBe(jobId);
    expect((await jobsOfKind(kind))[0]).toMatchObject({ attempts: 2, last_error: null });
  });
});

describe.skipIf(postgres)("on the embedded database", () => {
  it("is one database per process: the two-process runs are PostgreSQL's (this file's other tests)", () => {
    expect(postgres).toBe(false);
  });
});
