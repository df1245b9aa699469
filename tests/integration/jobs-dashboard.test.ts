import { afterAll, describe, expect, it, vi } from "vitest";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { startRequest, nextRequest } from "../helpers/next-request";

// The dead-letter view (lib/jobs) through the real page (definePage's read) and the real "use server" action, with
// real embedded-IdP session cookies (next/headers is the shared request-scope helper), a real worker that lets a
// job fail its last attempt, and row-level security deciding what is listed and what can be re-queued.
vi.mock("next/headers", () => import("../helpers/next-request"));

const { closeDb, ownerDb, withTenant } = await import("@/lib/db");
const { drainJobs, enqueueJob, defineJob } = await import("@/lib/jobs");
const { SESSION_COOKIE_NAME } = await import("@/lib/auth/cookie-name");
const { default: JobsPage } = await import("@/app/(dashboard)/settings/jobs/page");
const { retryJobAction } = await import("@/app/(dashboard)/settings/jobs/actions");
const { createOrg, createUser, request, signIn } = await import("../helpers/tenants");
const { jobsOfKind, testKind } = await import("./jobs-helpers");

afterAll(closeDb);

function asUser(token: string) {
  startRequest({ cookie: `${SESSION_COOKIE_NAME}=${token}`, "user-agent": "vitest", "x-forwarded-for": "203.0.113.9" });
  nextRequest.cookies.set(SESSION_COOKIE_NAME, { value: token, options: {} });
}

function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.set(k, v);
  return data;
}

async function member(org: { id: string; slug: string }, role: "owner" | "admin" | "member") {
  return signIn(await createUser([{ orgId: org.id, role }]), { ...org, role });
}

/** A job of `kind` for the org, enqueued by `who`, whose one attempt fails: dead, with the worker's masked error. */
async function deadJob(who: Awaited<ReturnType<typeof member>>, kind: string): Promise<string> {
  const enqueued = await withTenant(who.session.claims, (tx) => enqueueJob(tx, { kind, orgId: who.session.orgId!, payload: { n: 1 }, maxAttempts: 1 }));
  const failing = defineJob({
    kind,
    payload: z.object({ n: z.number() }),
    run: async () => {
      throw new Error("upstream refused the request\n    at secretFrame (/srv/app/lib/x.ts:1:1)");
    },
  });
  await drainJobs({ handlers: [failing], backoff: { baseMs: 10, capMs: 10 } });
  return enqueued.id!;
}

describe("dead-letter view and retry (lib/jobs, TEN-3, AUD-3)", () => {
  it("an admin sees the org's dead job with its masked error and retries it: pending again, attempts 0, audited", async () => {
    const org = await createOrg("Acme");
    const admin = await member(org, "admin");
    const kind = testKind("fails");
    const id = await deadJob(admin, kind);

    const page = await JobsPage.readFor(admin.session, undefined, request());
    if (page.kind !== "ok") throw new Error(`page: ${page.kind}`);
    const listed = page.data.dead.find((j) => j.id === id);
    expect(listed).toMatchObject({ kind, state: "dead", attempts: 1, maxAttempts: 1 });
    expect(listed!.lastError).toContain("upstream refused the request");
    expect(listed!.lastError).not.toMatch(/secretFrame|\/srv\/app/);

    asUser(admin.token);
    expect(await retryJobAction({ ok: null }, form({ id }))).toEqual({ ok: true, message: "Re-queued: the job will run again shortly." });
    expect(await jobsOfKind(kind)).toMatchObject([{ id, state: "pending", attempts: 0 }]);
    const [audit] = await (await ownerDb()).query<{ actor_id: string; target_type: string; changes: { kind: string } }>(
      "select actor_id, target_type, changes from public.audit_logs where org_id = $1 and action = 'job.requeued' and target_id = $2",
      [org.id, id],
    );
    expect(audit).toMatchObject({ actor_id: admin.session.userId, target_type: "job", changes: { kind } });

    // A job that is no longer dead cannot be re-queued twice.
    expect(await retryJobAction({ ok: null }, form({ id }))).toMatchObject({ ok: false, message: "That job does not exist or is no longer dead." });
    const after = await JobsPage.readFor(admin.session, undefined, request());
    expect(after.kind === "ok" && after.data.dead.some((j) => j.id === id)).toBe(false);
  });

  it("a member gets the admins-only notice, no jobs, and the retry action refuses them; the job stays dead", async () => {
    const org = await createOrg("Acme");
    const owner = await member(org, "owner");
    const plain = await member(org, "member");
    const kind = testKind("fails");
    const id = await deadJob(owner, kind);

    expect(await JobsPage.readFor(plain.session, undefined, request())).toEqual({ kind: "admins_only", title: "Jobs", minimumRole: "admin", ask: [`${owner.session.userId}@example.test`] });
    asUser(plain.token);
    expect(await retryJobAction({ ok: null }, form({ id }))).toEqual({ ok: false, message: "Only organisation admins and owners can do this." });
    expect(await jobsOfKind(kind)).toMatchObject([{ id, state: "dead" }]);
  });

  it("another org's dead job is never listed, and retrying its id is not found: it stays dead", async () => {
    const acme = await createOrg("Acme");
    const globex = await createOrg("Globex");
    const acmeAdmin = await member(acme, "admin");
    const globexOwner = await member(globex, "owner");
    const kind = testKind("fails");
    const theirs = await deadJob(globexOwner, kind);
    const ours = await deadJob(acmeAdmin, kind);

    const page = await JobsPage.readFor(acmeAdmin.session, undefined, request());
    if (page.kind !== "ok") throw new Error(`page: ${page.kind}`);
    const ids = [...page.data.dead, ...page.data.retrying].map((j) => j.id);
    expect(ids).toContain(ours);
    expect(ids).not.toContain(theirs);

    asUser(acmeAdmin.token);
    expect(await retryJobAction({ ok: null }, form({ id: theirs }))).toEqual({ ok: false, message: "That job does not exist or is no longer dead." });
    expect(await retryJobAction({ ok: null }, form({ id: randomUUID() }))).toEqual({ ok: false, message: "That job does not exist or is no longer dead." });
    expect(await retryJobAction({ ok: null }, form({ id: "not-a-uuid" }))).toMatchObject({ ok: false });
    expect((await jobsOfKind(kind)).find((j) => j.id === theirs)).toMatchObject({ state: "dead", attempts: 1 });
  });

  it("a job that failed and will be retried is listed as retrying, without a Retry of its own", async () => {
    const org = await createOrg("Acme");
    const admin = await member(org, "admin");
    const kind = testKind("flaky");
    const enqueued = await withTenant(admin.session.claims, (tx) => enqueueJob(tx, { kind, orgId: org.id, payload: {}, maxAttempts: 3 }));
    const flaky = defineJob({ kind, payload: z.object({}), run: async () => Promise.reject(new Error("timed out talking to the scanner")) });
    // One attempt, then a back-off far in the future: drained after the first failure.
    await drainJobs({ handlers: [flaky], backoff: { baseMs: 3_600_000, capMs: 3_600_000 } });
    const page = await JobsPage.readFor(admin.session, undefined, request());
    if (page.kind !== "ok") throw new Error(`page: ${page.kind}`);
    expect(page.data.retrying.find((j) => j.id === enqueued.id)).toMatchObject({ state: "pending", attempts: 1, lastError: expect.stringContaining("timed out") });
    expect(page.data.dead.some((j) => j.id === enqueued.id)).toBe(false);
  });
});
