/**
 * A worker in a process of its own, for tests/integration/jobs-processes.test.ts (PostgreSQL only).
 * JOB_CHILD_KIND: the kind it runs; JOB_CHILD_MODE: "count" prints `RAN <job id>` per job and completes it,
 * "hang" prints `STARTED <job id>` and never finishes (the test kills the process with SIGKILL).
 * SIGTERM stops it gracefully (printing `STOPPED`).
 */
import { z } from "zod";
import { closeDb } from "@/lib/db";
import { defineJob, startWorker } from "@/lib/jobs";

const kind = process.env.JOB_CHILD_KIND!;
const mode = process.env.JOB_CHILD_MODE ?? "count";
const job = defineJob({
  kind,
  payload: z.object({ n: z.number().int() }),
  run: async (_payload, ctx) => {
    if (mode === "hang") {
      process.stdout.write(`STARTED ${ctx.job.id}\n`);
      await new Promise(() => {});
    }
    // A real statement as the job's principal, so each run costs what a small handler costs.
    await ctx.withOrg((tx) => tx.query("select 1"));
    process.stdout.write(`RAN ${ctx.job.id}\n`);
  },
});
const stop = startWorker({ handlers: [job], concurrency: Number(process.env.JOB_CHILD_CONCURRENCY ?? 4), pollIntervalMs: 50, leaseSeconds: Number(process.env.JOB_CHILD_LEASE ?? 60) });
process.stdout.write("READY\n");
process.once("SIGTERM", () => {
  void stop()
    .then(closeDb)
    .then(() => {
      process.stdout.write("STOPPED\n");
      process.exit(0);
    });
});
