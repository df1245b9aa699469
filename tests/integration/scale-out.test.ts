import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { env } from "@/lib/env";
import { closeDb, ownerDb } from "@/lib/db";
import { createApiKey } from "@/lib/api-keys";
import { signingKey } from "@/lib/auth/embedded/keys";
import { hashPassword, signInWithPassword } from "@/lib/auth/embedded/sign-in";
import { verifyAuditChains } from "@/lib/audit/verify";
import { RATE_LIMIT_CLASSES } from "@/lib/ratelimit";
import { createOrg, createUser, putOnPlan, request, signIn } from "../helpers/tenants";
import { awayFromWindowEdge } from "../helpers/rate-limit-window";
import { jobsOfKind, testKind, waitFor } from "./jobs-helpers";

/**
 * OPS / KEY-2 / RL-2 / IDN-4 / IDN-6 / AUD-2 / JOB: the app scales out. Two app instances
 * (tests/integration/scale-out-instance.child.ts: the proxy and the route handlers over HTTP) and two job workers
 * (tests/integration/jobs-worker.child.ts), each a Node process of its own with its own memory (API-key cache,
 * rate-limiter counts, IdP key loaded from the environment, its own temporary directory), against one PostgreSQL
 * and one Redis: what one instance changes, the other enforces on its next request.
 *
 * PostgreSQL + Redis only: PGlite is one database inside one process, so no second process can share it, and the
 * shared limit is Redis's (the embedded run has neither; this file's embedded test says so).
 */
const scaleOut = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

const PORTS = { a: 3280, b: 3281 } as const;
type InstanceName = keyof typeof PORTS;
const ORIGIN = new URL(env.APP_URL).origin;

interface Child {
  name: string;
  process: ChildProcess;
  lines: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

const children: Child[] = [];
let scratch = "";
const jobKind = testKind("scale");

function start(name: string, script: string, extra: Record<string, string>, pem: string): Child {
  // node itself with tsx as a loader, as the other child scripts (a SIGTERM reaches the process that serves).
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=react-server", path.resolve(script)], {
    env: {
      ...process.env,
      NODE_ENV: "test",
      LOG_LEVEL: "error",
      // Nothing shared but the code, PostgreSQL and Redis: the IdP key comes from the environment (as every
      // production instance gets it), and each process has a directory of its own for what it would write.
      IDP_PRIVATE_KEY: pem,
      IDP_KEY_FILE: path.join(scratch, name, "idp-key.json"),
      AUDIT_CHECKPOINT_DIR: path.join(scratch, name, "audit-checkpoints"),
      ...extra,
    },
    // stdin stays open: an instance stops when it ends (the test process died without stopping it).
    stdio: [script.includes("scale-out-instance") ? "pipe" : "ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  let buffer = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const entry = { name, process: child, lines, stderr, exited };
  children.push(entry);
  return entry;
}

function printChildren(): void {
  for (const c of children) {
    const err = c.stderr.join("").trim();
    // Its log lines (stdout), without the workers' one line per job.
    const out = c.lines.filter((l) => !l.startsWith("RAN ")).slice(-20).join("\n");
    console.error(`--- ${c.name} (exit ${c.process.exitCode ?? "running"}) stderr:\n${err.slice(-8000) || "(empty)"}\n--- ${c.name} stdout:\n${out || "(empty)"}`);
  }
}

async function ready(child: Child, line: string): Promise<void> {
  await waitFor(async () => {
    if (child.process.exitCode !== null) throw new Error(`${child.name} exited with ${child.process.exitCode} before it was ready`);
    return child.lines.includes(line);
  }, 90_000, 100);
}

/** One HTTP request to an instance, as a browser or a partner's client sends it. */
async function call(
  instance: InstanceName,
  method: "GET" | "POST" | "PATCH",
  pathname: string,
  init: { key?: string; cookie?: string; json?: unknown; form?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = {};
  if (init.key) headers.authorization = `Bearer ${init.key}`;
  if (init.cookie) headers.cookie = init.cookie;
  let body: string | undefined;
  if (init.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.json);
  }
  if (init.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    // HDR-4: a dashboard form posts from the app's own origin.
    headers.origin = ORIGIN;
    body = new URLSearchParams(init.form).toString();
  }
  const res = await fetch(`http://127.0.0.1:${PORTS[instance]}${pathname}`, { method, headers, body, redirect: "manual" });
  const text = await res.text();
  let json: Record<string, unknown> | null = null;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : null;
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** name=value of a Set-Cookie header, or undefined. */
function setCookie(headers: Headers, name: string): string | undefined {
  const line = headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  return line ? line.slice(name.length + 1).split(";")[0] : undefined;
}

async function idpPem(): Promise<string> {
  if (env.IDP_PRIVATE_KEY) return env.IDP_PRIVATE_KEY.replace(/\\n/g, "\n");
  await signingKey(); // writes IDP_KEY_FILE on first use; this process signs with it too
  return (JSON.parse(await readFile(path.resolve(env.IDP_KEY_FILE), "utf8")) as { privateKeyPem: string }).privateKeyPem;
}

async function adminWithKey(label: string) {
  const org = await createOrg(label);
  await putOnPlan(org.id, "business");
  const userId = await createUser([{ orgId: org.id, role: "admin" }]);
  const { token, session } = await signIn(userId, { ...org, role: "admin" });
  const created = await createApiKey(session, { name: "Scale-out key", permissions: "read_write" }, request());
  if (!created.ok) throw new Error(`createApiKey failed: ${JSON.stringify(created)}`);
  return { org, cookie: `tg_session=${token}`, key: created.data };
}

describe.skipIf(!scaleOut)("scale-out: two app instances and two workers on one PostgreSQL and one Redis", () => {
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), "tg-scale-out-"));
    const pem = await idpPem();
    const a = start("instance a", "tests/integration/scale-out-instance.child.ts", { SCALE_OUT_PORT: String(PORTS.a) }, pem);
    const b = start("instance b", "tests/integration/scale-out-instance.child.ts", { SCALE_OUT_PORT: String(PORTS.b) }, pem);
    const workers = [1, 2].map((n) => start(`worker ${n}`, "tests/integration/jobs-worker.child.ts", { JOB_CHILD_KIND: jobKind, JOB_CHILD_MODE: "count" }, pem));
    try {
      await Promise.all([ready(a, `READY ${PORTS.a}`), ready(b, `READY ${PORTS.b}`), ...workers.map((w) => ready(w, "READY"))]);
      // Each instance answers (and has loaded what a request needs) before any scenario counts anything.
      for (const instance of ["a", "b"] as const) expect((await call(instance, "GET", "/api/session")).status).toBe(401);
    } catch (error) {
      printChildren();
      throw error;
    }
  }, 120_000);

  beforeEach(({ onTestFailed }) => onTestFailed(printChildren));

  afterAll(async () => {
    for (const c of children) if (c.process.exitCode === null) c.process.kill("SIGTERM");
    await Promise.all(
      children.map((c) =>
        Promise.race([c.exited, new Promise((resolve) => setTimeout(resolve, 15_000))]).then(() => {
          if (c.process.exitCode === null) c.process.kill("SIGKILL");
        }),
      ),
    );
    if (scratch) await rm(scratch, { recursive: true, force: true });
    await closeDb();
  }, 60_000);

  it("KEY-2: an API key revoked on instance A is refused on instance B at its next request, though B had it cached", async () => {
    const { cookie, key } = await adminWithKey("ScaleKey");
    for (const instance of ["a", "b"] as const) expect((await call(instance, "GET", "/api/v1/projects", { key: key.plaintext })).status).toBe(200);
    expect((await call("b", "GET", "/__instance/api-key-cached", { key: key.plaintext })).json).toEqual({ cached: true });

    // An admin revokes it in the dashboard served by instance A.
    const revoked = await call("a", "POST", "/__dashboard/api-keys/revoke", { cookie, form: { id: key.id } });
    expect(revoked).toMatchObject({ status: 200, json: { ok: true } });

    // B was told nothing: its cache still holds the key, and the database refuses it in B's very next request.
    expect((await call("b", "GET", "/__instance/api-key-cached", { key: key.plaintext })).json).toEqual({ cached: true });
    const onB = await call("b", "GET", "/api/v1/projects", { key: key.plaintext });
    expect(onB.status).toBe(401);
    expect(onB.json).toMatchObject({ code: "unauthenticated", detail: "Invalid or missing API key." });
    expect((await call("b", "GET", "/__instance/api-key-cached", { key: key.plaintext })).json).toEqual({ cached: false });
    expect((await call("a", "GET", "/api/v1/projects", { key: key.plaintext })).status).toBe(401);
  });

  it("RL-2: one key hammering one route on both instances: together they never accept more than the limit", async () => {
    const { org, key } = await adminWithKey("ScaleLimit");
    const [project] = await (await ownerDb()).query<{ id: string }>("insert into public.projects (org_id, name, created_by) values ($1, 'Imports', 'user_x') returning id", [org.id]);
    const { limit } = RATE_LIMIT_CLASSES.import;
    const perInstance = limit + 10; // each instance alone would accept `limit`
    await awayFromWindowEdge(60_000, 10_000);
    // A URL import with an empty body: the limits are decided before the body is read, so every request the limiter
    // lets through is answered 422 and touches nothing; a refused one is 429.
    const hammer = (instance: InstanceName) =>
      Promise.all(Array.from({ length: perInstance }, () => call(instance, "POST", `/api/v1/projects/${project!.id}/documents/imports`, { key: key.plaintext, json: {} })));
    const [onA, onB] = await Promise.all([hammer("a"), hammer("b")]);
    const all = [...onA, ...onB];
    const accepted = all.filter((r) => r.status !== 429);
    expect(new Set(accepted.map((r) => r.status))).toEqual(new Set([422]));
    // Each instance received more than the limit; what they accepted together is the limit, not twice it.
    const acceptedOn = { a: onA.filter((r) => r.status !== 429).length, b: onB.filter((r) => r.status !== 429).length };
    expect(acceptedOn.a + acceptedOn.b, `accepted on A ${acceptedOn.a}, on B ${acceptedOn.b}`).toBe(limit);
    for (const refused of all.filter((r) => r.status === 429)) {
      expect(refused.json).toMatchObject({ code: "rate_limited" });
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    }
  });

  it("IDN-4: a session signed out on instance A is refused on instance B", async () => {
    const org = await createOrg("ScaleSession");
    const userId = await createUser([{ orgId: org.id, role: "member" }]);
    const { token, session } = await signIn(userId, { ...org, role: "member" });
    const cookie = `tg_session=${token}`;
    for (const instance of ["a", "b"] as const) {
      expect(await call(instance, "GET", "/api/session", { cookie })).toMatchObject({ status: 200, json: { userId, sessionId: session.sessionId, orgId: org.id } });
    }
    expect(await call("a", "POST", "/__dashboard/sign-out", { cookie, form: {} })).toMatchObject({ status: 200, json: { revoked: true } });
    expect((await call("b", "GET", "/api/session", { cookie })).status).toBe(401);
    expect((await call("a", "GET", "/api/session", { cookie })).status).toBe(401);
  });

  it("IDN-6: a refresh token used on instance A and presented again on instance B revokes the whole family", async () => {
    const org = await createOrg("ScaleRefresh");
    const userId = await createUser([{ orgId: org.id, role: "member" }]);
    const db = await ownerDb();
    await db.query("insert into idp.credentials (user_id, password_hash) values ($1, $2)", [userId, await hashPassword("pw-scale-out-123")]);
    const [user] = await db.query<{ email: string }>("select email from public.users where id = $1", [userId]);
    const issued = await signInWithPassword({ email: user!.email, password: "pw-scale-out-123", ip: "198.51.100.5", userAgent: "vitest" });
    if (!issued || issued.challenge !== undefined || !issued.refreshToken) throw new Error("setup: no refresh token");
    const first = issued.refreshToken;

    // The proxy of instance A renews the session from the refresh cookie; then B renews from A's new refresh token.
    const onA = await call("a", "GET", "/api/session", { cookie: `tg_refresh=${first}` });
    expect(onA).toMatchObject({ status: 200, json: { userId } });
    const second = setCookie(onA.headers, "tg_refresh")!;
    expect(second).toMatch(/^rt_/);
    const onB = await call("b", "GET", "/api/session", { cookie: `tg_refresh=${second}` });
    expect(onB).toMatchObject({ status: 200, json: { userId } });
    const newest = { session: setCookie(onB.headers, "tg_session")!, refresh: setCookie(onB.headers, "tg_refresh")! };
    expect(newest.refresh).toMatch(/^rt_/);
    expect((await call("a", "GET", "/api/session", { cookie: `tg_session=${newest.session}` })).status).toBe(200);

    // The first token again, on B: reuse. Both cookies are cleared and the family's newest tokens stop working.
    const reused = await call("b", "GET", "/api/session", { cookie: `tg_refresh=${first}` });
    expect(reused.status).toBe(401);
    expect(setCookie(reused.headers, "tg_refresh")).toBe("");
    expect((await call("a", "GET", "/api/session", { cookie: `tg_session=${newest.session}` })).status).toBe(401);
    const withNewestRefresh = await call("a", "GET", "/api/session", { cookie: `tg_refresh=${newest.refresh}` });
    expect(withNewestRefresh.status).toBe(401);
    expect(setCookie(withNewestRefresh.headers, "tg_refresh")).toBe("");
    expect(await db.query("select revoke_reason from idp.sessions where user_id = $1", [userId])).toEqual([{ revoke_reason: "refresh_reuse" }]);
  });

  it("JOB: 500 jobs, two worker processes: each job runs exactly once", { timeout: 180_000 }, async () => {
    const org = await createOrg("ScaleJobs");
    await (await ownerDb()).query(
      `insert into public.jobs (org_id, kind, payload, created_by)
       select $1, $2, jsonb_build_object('n', g), 'user_test' from generate_series(1, 500) g`,
      [org.id, jobKind],
    );
    await waitFor(async () => {
      const [row] = await (await ownerDb()).query<{ n: number }>("select count(*)::int as n from public.jobs where kind = $1 and state = 'succeeded'", [jobKind]);
      return row!.n === 500;
    }, 150_000, 200);
    const workers = children.filter((c) => c.name.startsWith("worker"));
    // Each run prints `RAN <job id>` once its handler's statement ran: the effect, recorded by the process that ran it.
    await waitFor(async () => workers.reduce((n, w) => n + w.lines.filter((l) => l.startsWith("RAN ")).length, 0) >= 500, 30_000, 100);
    const ran = workers.flatMap((w) => w.lines.filter((l) => l.startsWith("RAN ")).map((l) => l.slice(4)));
    const jobs = await jobsOfKind(jobKind);
    expect(jobs).toHaveLength(500);
    expect(ran).toHaveLength(500);
    expect([...new Set(ran)].sort()).toEqual(jobs.map((j) => j.id).sort());
    for (const w of workers) expect(w.lines.some((l) => l.startsWith("RAN "))).toBe(true);
    expect(jobs.every((j) => j.state === "succeeded" && j.attempts === 1)).toBe(true);
  });

  it("AUD-2: writes from both instances at once leave one linear, verifiable audit chain", async () => {
    const { org, key } = await adminWithKey("ScaleAudit");
    const perInstance = 25;
    const db = await ownerDb();
    // Renames: audited writes that take no other per-org lock (creating a project does: BIL-1's plan count), so the
    // audit chain's own lock is all that keeps two instances' entries in one line.
    const projects = await db.query<{ id: string }>(
      "insert into public.projects (org_id, name, created_by) select $1, 'p' || g, 'user_x' from generate_series(1, $2) g returning id",
      [org.id, 2 * perInstance],
    );
    const rename = (instance: InstanceName, ids: { id: string }[]) =>
      Promise.all(ids.map(({ id }, i) => call(instance, "PATCH", `/api/v1/projects/${id}`, { key: key.plaintext, json: { name: `${instance}-${i}` } })));
    const [onA, onB] = await Promise.all([rename("a", projects.slice(0, perInstance)), rename("b", projects.slice(perInstance))]);
    expect([...onA, ...onB].map((r) => r.status)).toEqual(Array(2 * perInstance).fill(200));

    const rows = await db.query<{ seq: number; action: string }>("select seq, action from public.audit_logs where org_id = $1 order by seq", [org.id]);
    // The key's creation, then one entry per rename: seq 1..n with no gap and no repeat.
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: rows.length }, (_, i) => i + 1));
    expect(rows.filter((r) => r.action === "project.renamed")).toHaveLength(2 * perInstance);
    expect(await verifyAuditChains(db, org.id, { sinkRoot: null })).toEqual({ orgs: 1, entries: rows.length, breaks: [] });
  });
});

describe.skipIf(scaleOut)("scale-out on the embedded database", () => {
  it("needs PostgreSQL and Redis: PGlite is one database inside one process, so the multi-process proof is the PostgreSQL + Redis run's", () => {
    expect(scaleOut).toBe(false);
  });
});
