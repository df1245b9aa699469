import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { closeDb, ownerDb, withJobPrincipal, withTenant } from "@/lib/db";
import { defineJob, drainJobs, enqueue, enqueueJob, listJobs, requeueDeadJob, startWorker, type JobContext } from "@/lib/jobs";
import { claimJobs } from "@/lib/jobs/queue";
import { orgWithMembers } from "../helpers/tenants";
import { expireLeases, insertDocument, jobsOfKind, makeDueNow, testKind, waitFor } from "./jobs-helpers";

afterAll(closeDb);

class Rollback extends Error {}

const quiet = { pollIntervalMs: 25, stopGraceMs: 2_000 };

describe("enqueue: in the caller's transaction, for its own org only", () => {
  it("a job enqueued in a transaction that rolls back does not exist", async () => {
    const a = await orgWithMembers("JobsRollback");
    const kind = testKind("noop");
    const rollback = new Rollback();
    await expect(
      withTenant(a.member.claims, async (tx) => {
        await enqueueJob(tx, { kind, orgId: a.org.id, payload: { n: 1 } });
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    expect(await jobsOfKind(kind)).toEqual([]);
    await withTenant(a.member.claims, (tx) => enqueueJob(tx, { kind, orgId: a.org.id, payload: { n: 2 } }));
    expect(await jobsOfKind(kind)).toMatchObject([{ org_id: a.org.id, state: "pending", attempts: 0, created_by: a.member.userId }]);
  });

  it("the same (org, kind, idempotency key) enqueued twice yields one job", async () => {
    const a = await orgWithMembers("JobsIdem");
    const kind = testKind("idem");
    const first = await withTenant(a.member.claims, (tx) => enqueueJob(tx, { kind, orgId: a.org.id, idempotencyKey: "doc-1" }));
    const second = await withTenant(a.member.claims, (tx) => enqueueJob(tx, { kind, orgId: a.org.id, idempotencyKey: "doc-1" }));
    const other = await withTenant(a.admin.claims, (tx) => enqueueJob(tx, { kind, orgId: a.org.id, idempotencyKey: "doc-2" }));
    expect(first.created).toBe(true);
    expect(second).toEqual({ id: first.id, created: false });
    expect(other.created).toBe(true);
    expect((await jobsOfKind(kind)).map((j) => j.id).sort()).toEqual([first.id, other.id].sort());
  });

  it("org A cannot enqueue a job for org B, nor see B's jobs", async () => {
    const a = await orgWithMembers("JobsA");
    const b = await orgWithMembers("JobsB");
    const kind = testKind("rls");
    await expect(withTenant(a.admin.claims, (tx) => enqueueJob(tx, { kind, orgId: b.org.id }))).rejects.toMatchObject({ code: "42501" });
    // The insert policy itself, without RETURNING (whose row must also pass the select policy).
    await expect(
      withTenant(a.admin.claims, (tx) => tx.query("insert into public.jobs (org_id, kind, created_by) values ($1, $2, $3)", [b.org.id, kind, a.admin.userId])),
    ).rejects.toMatchObject({ code: "42501" });
    await withTenant(b.member.claims, (tx) => enqueueJob(tx, { kind, orgId: b.org.id, idempotencyKey: "k" }));
    // A's admin sees none of B's jobs, by list or by guessing its idempotency key.
    expect(await withTenant(a.admin.claims, (tx) => tx.query("select id from public.jobs where kind = $1", [kind]))).toEqual([]);
    expect(await withTenant(a.admin.claims, (tx) => listJobs(tx))).toEqual([]);
    expect(await withTenant(b.admin.claims, (tx) => listJobs(tx))).toHaveLength(1);
    expect(await jobsOfKind(kind)).toHaveLength(1);
  });

  it("an enqueue cannot set the state, attempts or lease (column grants), nor another principal's name", async () => {
    const a = await orgWithMembers("JobsColumns");
    const kind = testKind("cols");
    const forged = [
      "insert into public.jobs (org_id, kind, created_by, state) values ($1, $2, $3, 'succeeded')",
      "insert into public.jobs (org_id, kind, created_by, attempts) values ($1, $2, $3, 0)",
      "insert into public.jobs (org_id, kind, created_by, lease_token, locked_until) values ($1, $2, $3, gen_random_uuid(), now())",
    ];
    for (const sql of forged) {
      await expect(withTenant(a.member.claims, (tx) => tx.query(sql, [a.org.id, kind, a.member.userId]))).rejects.toMatchObject({ code: "42501" });
    }
    await expect(
      withTenant(a.member.claims, (tx) => tx.query("insert into public.jobs (org_id, kind, created_by) values ($1, $2, $3)", [a.org.id, kind, a.admin.userId])),
    ).rejects.toMatchObject({ code: "42501" });
    // Nor run the queue's own functions.
    await expect(withTenant(a.admin.claims, (tx) => tx.query("select * from private.claim_jobs('x', array[$1], 10, 60)", [kind]))).rejects.toMatchObject({ code: "42501" });
    expect(await jobsOfKind(kind)).toEqual([]);
  });

  it("a member sees only the jobs it enqueued; the dead-letter view is for owners and admins", async () => {
    const a = await orgWithMembers("JobsMember");
    const kind = testKind("mine");
    await withTenant(a.admin.claims, (tx) => enqueueJob(tx, { kind, orgId: a.org.id }));
    const mine = await withTenant(a.member.claims, (tx) => enqueueJob(tx, { kind, orgId: a.org.id }));
    expect((await withTenant(a.member.claims, (tx) => listJobs(tx))).map((j) => j.id)).toEqual([mine.id]);
    expect(await withTenant(a.owner.claims, (tx) => listJobs(tx))).toHaveLength(2);
  });

  it("a payload its kind's schema refuses is refused at enqueue (VAL-1)", async () => {
    const a = await orgWithMembers("JobsEnqueueSchema");
    const job = defineJob({ kind: testKind("typed"), payload: z.object({ documentId: z.uuid() }), run: async () => {} });
    await expect(withTenant(a.member.claims, (tx) => enqueue(tx, job, { orgId: a.org.id, payload: { documentId: "nope" } }))).rejects.toThrow();
    expect(await jobsOfKind(job.kind)).toEqual([]);
  });
});

describe("the handler runs as the job's org's service principal, confined to that org (TEN-1, TEN-2)", () => {
  it("it reads its own org's documents only, is not `authenticated`, and sees no other org's row in any table", async () => {
    const a = await orgWithMembers("JobsPrincipalA");
    const b = await orgWithMembers("JobsPrincipalB");
    const docA = await insertDocument(a.org.id);
    await insertDocument(b.org.id);
    await withTenant(b.member.claims, (tx) => enqueueJob(tx, { kind: testKind("other"), orgId: b.org.id }));
    // Every table of the app schemas that carries an org_id (whatever later migrations grant job_service).
    const orgTables = (
      await (await ownerDb()).query<{ name: string }>(
        `select format('%I.%I', n.nspname, c.relname) as name
           from pg_catalog.pg_attribute a
           join pg_catalog.pg_class c on c.oid = a.attrelid and c.relkind in ('r', 'p')
           join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          where a.attname = 'org_id' and not a.attisdropped and n.nspname in ('public', 'idp', 'private')
          order by 1`,
      )
    ).map((r) => r.name);
    expect(orgTables).toEqual(expect.arrayContaining(["public.documents", "public.projects", "public.memberships", "public.jobs", "public.audit_logs"]));
    const seen = { role: "", docs: [] as string[], claims: null as unknown, otherOrgRows: {} as Record<string, number | string>, denied: {} as Record<string, string | undefined> };
    const job = defineJob({
      kind: testKind("principal"),
      payload: z.object({}),
      run: async (_p, ctx: JobContext) => {
        await ctx.withOrg(async (tx) => {
          const [who] = await tx.query<{ role: string; claims: unknown }>("select current_user::text as role, auth.jwt() as claims");
          seen.role = who!.role;
          seen.claims = who!.claims;
          // Every document in the database, as far as this principal can tell.
          seen.docs = (await tx.query<{ id: string }>("select id from public.documents")).map((r) => r.id);
        });
        for (const table of orgTables) {
          seen.otherOrgRows[table] = await ctx.withOrg((tx) => tx.query<{ n: number }>(`select count(*)::int as n from ${table} where org_id is distinct from $1`, [a.org.id])).then(
            (rows) => rows[0]!.n,
            (e: { code?: string }) => e.code ?? "error",
          );
        }
        for (const table of ["public.users", "public.memberships", "public.api_keys", "public.projects"]) {
          seen.denied[table] = await ctx.withOrg((tx) => tx.query(`select 1 from ${table} limit 1`)).then(
            () => undefined,
            (e: { code?: string }) => e.code,
          );
        }
      },
    });
    await withTenant(a.member.claims, (tx) => enqueue(tx, job, { orgId: a.org.id, payload: {} }));
    const stop = startWorker({ handlers: [job], ...quiet });
    try {
      await waitFor(async () => (await jobsOfKind(job.kind))[0]?.state === "succeeded");
    } finally {
      await stop();
    }
    expect(seen.role).toBe("job_service");
    expect(seen.docs).toEqual([docA]);
    expect(seen.claims).toMatchObject({ sub: "service:jobs", o: { id: a.org.id, rol: "service" }, job: { kind: job.kind } });
    // No other org's row in any table: either nothing granted (42501) or row-level security shows none.
    for (const [table, other] of Object.entries(seen.otherOrgRows)) expect([0, "42501"], table).toContain(other);
    expect(seen.denied).toEqual({ "public.users": "42501", "public.memberships": "42501", "public.api_keys": "42501", "public.projects": "42501" });
  });

  it("service claims for an org are refused without a live lease on a job of that org and kind", async () => {
    const a = await orgWithMembers("JobsLeaseA");
    const b = await orgWithMembers("JobsLeaseB");
    const kind = testKind("lease");
    await withTenant(a.member.claims, (tx) => enqueueJob(tx, { kind, orgId: a.org.id }));
    const [claimed] = await claimJobs("test", [kind], 1, 60);
    const lease = { jobId: claimed!.id, kind, orgId: a.org.id, leaseToken: claimed!.leaseToken };
    expect(await withJobPrincipal(lease, (tx) => tx.query("select 1 as ok"))).toEqual([{ ok: 1 }]);
    const forged = [
      { ...lease, orgId: b.org.id }, // the lease of A's job as B's principal
      { ...lease, kind: testKind("other") },
      { ...lease, leaseToken: "00000000-0000-4000-8000-000000000000" },
    ];
    for (const attempt of forged) {
      await expect(withJobPrincipal(attempt, (tx) => tx.query("select id from public.documents"))).rejects.toMatchObject({ code: "28000" });
    }
    await expireLeases(kind);
    await expect(withJobPrincipal(lease, (tx) => tx.query("select 1"))).rejects.toMatchObject({ code: "28000" });
  });
});

describe("retries, backoff and the dead-letter state", () => {
  it("a failing job is retried with exponential backoff, then dead with its last error (no stack, no secret)", async () => {
    const a = await orgWithMembers("JobsRetry");
    let runs = 0;
    const job = defineJob({
      kind: testKind("flaky"),
      payload: z.object({}),
      maxAttempts: 3,
      run: async () => {
        runs++;
        throw new Error(`upstream refused postgres://svc:hunter2@db.internal/x attempt ${runs}\n    at secret stack line`);
      },
    });
    await withTenant(a.member.claims, (tx) => enqueue(tx, job, { orgId: a.org.id, payload: {} }));
    const stop = startWorker({ handlers: [job], ...quiet, backoff: { baseMs: 60_000, capMs: 3_600_000 }, random: () => 1 });
    try {
      for (const [attempt, delay] of [[1, 60], [2, 120]] as const) {
        const [row] = await waitFor(async () => {
          const rows = await jobsOfKind(job.kind);
          return rows[0]?.attempts === attempt && rows[0].state === "pending" ? rows : undefined;
        });
        expect(row!.delay_seconds).toBeGreaterThan(delay - 5);
        expect(row!.delay_seconds).toBeLessThan(delay + 5);
        await makeDueNow(job.kind);
      }
      await waitFor(async () => (await jobsOfKind(job.kind))[0]?.state === "dead");
    } finally {
      await stop();
    }
    const [dead] = await jobsOfKind(job.kind);
    expect(runs).toBe(3);
    expect(dead).toMatchObject({ state: "dead", attempts: 3 });
    expect(dead!.last_error).toMatch(/^Error: upstream refused .* attempt 3$/);
    expect(dead!.last_error).not.toContain("hunter2");
    expect(dead!.last_error).not.toContain("stack");
    const [listed] = await withTenant(a.admin.claims, (tx) => listJobs(tx, { state: "dead" }));
    expect(listed).toMatchObject({ id: dead!.id, state: "dead", lastError: dead!.last_error });
  });

  it("an invalid payload is dead at once, never retried, and the handler never runs (VAL-1)", async () => {
    const a = await orgWithMembers("JobsInvalid");
    let runs = 0;
    const job = defineJob({ kind: testKind("strict"), payload: z.strictObject({ documentId: z.uuid() }), run: async () => void runs++ });
    await withTenant(a.member.claims, (tx) => enqueueJob(tx, { kind: job.kind, orgId: a.org.id, payload: { documentId: "../../etc/passwd" } }));
    const stop = startWorker({ handlers: [job], ...quiet });
    try {
      await waitFor(async () => (await jobsOfKind(job.kind))[0]?.state === "dead");
    } finally {
      await stop();
    }
    const [row] = await jobsOfKind(job.kind);
    expect(runs).toBe(0);
    expect(row).toMatchObject({ attempts: 1, state: "dead" });
    expect(row!.last_error).toContain("documentId");
    expect(row!.last_error).not.toContain("passwd");
  });

  it("an admin re-queues a dead job; a member and another org's admin cannot", async () => {
    const a = await orgWithMembers("JobsRequeueA");
    const b = await orgWithMembers("JobsRequeueB");
    let fail = true;
    const job = defineJob({
      kind: testKind("requeue"),
      payload: z.object({}),
      maxAttempts: 1,
      run: async () => {
        if (fail) throw new Error("not yet");
      },
    });
    const { id } = await withTenant(a.member.claims, (tx) => enqueue(tx, job, { orgId: a.org.id, payload: {} }));
    const stop = startWorker({ handlers: [job], ...quiet });
    try {
      await waitFor(async () => (await jobsOfKind(job.kind))[0]?.state === "dead");
      expect(await withTenant(a.member.claims, (tx) => requeueDeadJob(tx, id!))).toBe(false);
      expect(await withTenant(b.admin.claims, (tx) => requeueDeadJob(tx, id!))).toBe(false);
      expect((await jobsOfKind(job.kind))[0]?.state).toBe("dead");
      fail = false;
      expect(await withTenant(a.admin.claims, (tx) => requeueDeadJob(tx, id!))).toBe(true);
      await waitFor(async () => (await jobsOfKind(job.kind))[0]?.state === "succeeded");
    } finally {
      await stop();
    }
    // Re-queueing is for dead jobs only: a succeeded one cannot be run again.
    expect(await withTenant(a.admin.claims, (tx) => requeueDeadJob(tx, id!))).toBe(false);
  });
});

describe("leases", () => {
  it("a job whose worker stopped mid-job is claimed again after its lease expires, and completes", async () => {
    const a = await orgWithMembers("JobsLease");
    const kind = testKind("orphan");
    let runs = 0;
    const job = defineJob({ kind, payload: z.object({}), run: async () => void runs++ });
    await withTenant(a.member.claims, (tx) => enqueue(tx, job, { orgId: a.org.id, payload: {} }));
    // A worker that claims and then never finishes (killed).
    const [orphan] = await claimJobs("killed-worker", [kind], 1, 3_600);
    expect(orphan).toBeDefined();
    const stop = startWorker({ handlers: [job], ...quiet });
    try {
      await new Promise((r) => setTimeout(r, 200));
      expect(runs).toBe(0); // still leased: nobody else runs it
      await expireLeases(kind);
      await waitFor(async () => (await jobsOfKind(kind))[0]?.state === "succeeded");
    } finally {
      await stop();
    }
    expect(runs).toBe(1);
    expect((await jobsOfKind(kind))[0]).toMatchObject({ attempts: 2 });
  });

  it("a handler that outlives its lease keeps it (heartbeat): a second worker never takes the job meanwhile", async () => {
    const a = await orgWithMembers("JobsHeartbeat");
    let runs = 0;
    const job = defineJob({
      kind: testKind("long"),
      payload: z.object({}),
      run: async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 2_500));
      },
    });
    await withTenant(a.member.claims, (tx) => enqueue(tx, job, { orgId: a.org.id, payload: {} }));
    const first = startWorker({ handlers: [job], ...quiet, leaseSeconds: 1 });
    await waitFor(async () => runs === 1);
    const second = startWorker({ handlers: [job], ...quiet, leaseSeconds: 1 });
    try {
      await waitFor(async () => (await jobsOfKind(job.kind))[0]?.state === "succeeded");
    } finally {
      await Promise.all([first(), second()]);
    }
    expect(runs).toBe(1);
    expect((await jobsOfKind(job.kind))[0]).toMatchObject({ attempts: 1 });
  });

  it("a job whose lease expired on its last attempt is dead, not run again", async () => {
    const a = await orgWithMembers("JobsLeaseLast");
    const kind = testKind("poison");
    await withTenant(a.member.claims, (tx) => enqueueJob(tx, { kind, orgId: a.org.id, maxAttempts: 1 }));
    await claimJobs("killed-worker", [kind], 1, 3_600);
    await expireLeases(kind);
    expect(await claimJobs("next-worker", [kind], 1, 60)).toEqual([]);
    expect((await jobsOfKind(kind))[0]).toMatchObject({ state: "dead", attempts: 1 });
    expect((await jobsOfKind(kind))[0]!.last_error).toContain("lease expired");
  });

  it("a stopped worker takes no new job; a running one finishes within the grace period", async () => {
    const a = await orgWithMembers("JobsStop");
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    const job = defineJob({
      kind: testKind("stop"),
      payload: z.object({}),
      run: async () => {
        started++;
        await gate;
      },
    });
    await withTenant(a.member.claims, (tx) => enqueue(tx, job, { orgId: a.org.id, payload: {} }));
    const stop = startWorker({ handlers: [job], ...quiet, concurrency: 1 });
    await waitFor(async () => started === 1);
    const stopping = stop();
    await withTenant(a.member.claims, (tx) => enqueue(tx, job, { orgId: a.org.id, payload: {} }));
    release();
    await stopping;
    const rows = await jobsOfKind(job.kind);
    expect(rows.map((r) => r.state)).toEqual(["succeeded", "pending"]);
    expect(started).toBe(1);
  });

  it("a handler still running past the grace period is aborted and its job released, its attempt not counted", async () => {
    const a = await orgWithMembers("JobsStopAbort");
    let started = false;
    const job = defineJob({
      kind: testKind("abort"),
      payload: z.object({}),
      run: (_p, ctx) =>
        new Promise<void>((_, reject) => {
          started = true;
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason as Error));
        }),
    });
    await withTenant(a.member.claims, (tx) => enqueue(tx, job, { orgId: a.org.id, payload: {} }));
    const stop = startWorker({ handlers: [job], ...quiet, stopGraceMs: 50 });
    await waitFor(async () => started);
    await stop();
    expect((await jobsOfKind(job.kind))[0]).toMatchObject({ state: "pending", attempts: 0 });
  });
});

describe("drainJobs (tests and one-off scripts)", () => {
  it("runs every due job of its kinds, then stops; a retry waiting for its backoff is left for later", async () => {
    const a = await orgWithMembers("JobsDrain");
    const ran: number[] = [];
    const job = defineJob({
      kind: testKind("drain"),
      payload: z.object({ n: z.number() }),
      run: async ({ n }) => {
        ran.push(n);
        if (n === 0) throw new Error("later");
      },
    });
    await withTenant(a.member.claims, async (tx) => {
      for (let n = 0; n < 5; n++) await enqueue(tx, job, { orgId: a.org.id, payload: { n } });
    });
    await drainJobs({ handlers: [job], concurrency: 2 });
    expect([...ran].sort()).toEqual([0, 1, 2, 3, 4]);
    const states = (await jobsOfKind(job.kind)).map((j) => j.state).sort();
    expect(states).toEqual(["pending", "succeeded", "succeeded", "succeeded", "succeeded"]);
  });
});

describe("queue statistics (OBS-4)", () => {
  it("counts due and dead jobs without naming any org", async () => {
    const { queueStats } = await import("@/lib/jobs");
    const a = await orgWithMembers("JobsStats");
    const before = await queueStats();
    await withTenant(a.member.claims, (tx) => enqueueJob(tx, { kind: testKind("stats"), orgId: a.org.id }));
    const after = await queueStats();
    expect(after.due).toBeGreaterThanOrEqual(before.due + 1);
    expect(Object.keys(after).sort()).toEqual(["dead", "due", "oldestDueSeconds", "running", "scheduled"]);
    // /health/status reports them (counts only, no org, kind or error).
    const { status } = await import("@/lib/health");
    const report = (await status()).jobs;
    expect(report.inProcessWorker).toBe(false);
    expect(report.queue).toMatchObject({ due: expect.any(Number), dead: expect.any(Number), oldestDueSeconds: expect.any(Number) });
    expect(JSON.stringify(report)).not.toContain(a.org.id);
  });

  it("each finished attempt is counted in jobs_total by kind and outcome (/health/metrics)", async () => {
    const { metricsText } = await import("@/lib/observability/metrics");
    const a = await orgWithMembers("JobsMetric");
    const job = defineJob({ kind: testKind("metric"), payload: z.object({}), run: async () => {} });
    await withTenant(a.member.claims, (tx) => enqueue(tx, job, { orgId: a.org.id, payload: {} }));
    const stop = startWorker({ handlers: [job], ...quiet });
    try {
      await waitFor(async () => (await jobsOfKind(job.kind))[0]?.state === "succeeded");
    } finally {
      await stop();
    }
    const { body } = await metricsText();
    expect(body).toContain(`jobs_total{kind="${job.kind}",outcome="succeeded"} 1`);
    expect(body).not.toContain(a.org.id);
  });
});
