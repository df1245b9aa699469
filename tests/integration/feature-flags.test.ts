import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { NextRequest, type NextResponse } from "next/server";
import { closeDb, ownerDb } from "@/lib/db";
import { clamdScanner, LocalStorage } from "@/lib/files";
import type { StopWorker } from "@/lib/jobs";
import { createProject } from "@/lib/projects";
import { EICAR, startClamd, type Clamd } from "../helpers/clamd";
import { orgWithMembers, request, uid } from "../helpers/tenants";
import { newKey } from "../helpers/api";
import { waitFor } from "./jobs-helpers";

// OPS-4: each security flag, switched off through its real environment override, really turns its control off
// (and on is the control working); the off states are audited once per org across writers; feature flags gate
// their capability by rollout stage. lib/env.ts reads the environment when first imported, so each case loads the
// app's modules afresh with its environment (vi.resetModules); the database is shared (globalThis).

let root: string;
let clamd: Clamd;
let stopWorker: StopWorker | undefined;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tg-flags-"));
  clamd = await startClamd();
});

afterEach(async () => {
  await stopWorker?.();
  stopWorker = undefined;
  vi.unstubAllEnvs();
});

afterAll(async () => {
  await clamd?.stop();
  await rm(root, { recursive: true, force: true });
  vi.resetModules();
  await closeDb();
});

/** The app's modules as an instance started with this environment would load them. */
async function appWith(environment: Record<string, string>) {
  vi.unstubAllEnvs();
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  vi.resetModules();
  const services = await import("@/lib/documents/services");
  const storage = new LocalStorage(root);
  services.useDocumentServices({ storage, scanner: clamdScanner({ host: clamd.host, port: clamd.port }, { timeoutMs: 10_000, maxBytes: clamd.streamMaxBytes }) });
  return {
    env: (await import("@/lib/env")).env,
    services,
    documents: await import("@/lib/documents"),
    scan: await import("@/lib/documents/scan"),
    jobs: await import("@/lib/jobs"),
    ratelimit: await import("@/lib/ratelimit"),
    record: await import("@/lib/flags/record"),
    db: await import("@/lib/db"),
  };
}
type App = Awaited<ReturnType<typeof appWith>>;

async function tenant(name: string) {
  const org = await orgWithMembers(name);
  const project = await createProject(org.admin, { name: "Files" }, request());
  if (!project.ok) throw new Error("setup");
  return { ...org, projectId: project.data.id };
}

const docRow = async (id: string) =>
  (await (await ownerDb()).query<{ status: string; storage_key: string | null; scanner: string | null }>("select status, storage_key, scanner from public.documents where id = $1", [id]))[0]!;

const scanJobDone = async (id: string) =>
  (await (await ownerDb()).query<{ state: string }>("select state from public.jobs where kind = 'documents.scan' and payload ->> 'documentId' = $1", [id]))[0]?.state === "succeeded";

async function uploadAs(app: App, t: Awaited<ReturnType<typeof tenant>>, bytes: Buffer, name: string, type = "text/plain") {
  const result = await app.documents.uploadDocument(t.admin, { projectId: t.projectId, source: Readable.from([bytes]), declaredType: type, name, sizeHint: bytes.byteLength }, request());
  if (!result.ok) throw new Error(result.message);
  return result.data.document.id;
}

function runWorker(app: App) {
  stopWorker = app.jobs.startWorker({ handlers: [app.scan.documentScanJob], pollIntervalMs: 25, stopGraceMs: 2_000, backoff: { baseMs: 50, capMs: 200 } });
}

const filesIn = (area: string, orgId: string) => readdir(path.join(root, area, orgId)).catch(() => [] as string[]);

describe("OPS-4: each security flag off turns its control off", () => {
  it("virus_scan off: no scan runs although a scanner is configured; the document stays pending and is never served", async () => {
    const app = await appWith({ FLAG_VIRUS_SCAN: "off" });
    expect(app.services.documentScanner()).toBeNull();
    const t = await tenant("NoScan");
    const id = await uploadAs(app, t, EICAR, "eicar.txt");
    runWorker(app);
    await waitFor(() => scanJobDone(id));
    // Not even EICAR is caught: the scanner was never asked. And nothing undecided is served.
    expect(await docRow(id)).toMatchObject({ status: "pending_scan", scanner: null, storage_key: `quarantine/${t.org.id}/${id}` });
    const url = await app.documents.createDownloadUrl(t.admin, { id }, request());
    expect(url).toMatchObject({ ok: false, message: expect.stringMatching(/pending scan/) });
  });

  it("virus_scan on (the default): the same upload is scanned and found infected", async () => {
    const app = await appWith({});
    const t = await tenant("Scan");
    const id = await uploadAs(app, t, EICAR, "eicar.txt");
    runWorker(app);
    await waitFor(async () => (await docRow(id)).status === "infected");
  });

  it("quarantine off: the bytes land in the served area at once, pending is still not served, and the scan decides in place", async () => {
    const app = await appWith({ FLAG_QUARANTINE: "off" });
    const t = await tenant("NoQuarantine");
    const clean = await uploadAs(app, t, Buffer.from("name,amount\nAcme,12\n"), "a.csv", "text/csv");
    const infected = await uploadAs(app, t, EICAR, "eicar.txt");
    expect(await docRow(clean)).toMatchObject({ status: "pending_scan", storage_key: `files/${t.org.id}/${clean}` });
    expect((await filesIn("files", t.org.id)).sort()).toEqual([clean, infected].sort());
    expect(await filesIn("quarantine", t.org.id)).toEqual([]);
    // FILE-2 still: a pending document in the served area has no download.
    expect(await app.documents.createDownloadUrl(t.admin, { id: clean }, request())).toMatchObject({ ok: false });
    const [served] = await (await ownerDb()).query("select * from private.downloadable_document($1::uuid, $2)", [clean, t.org.id]);
    expect(served).toBeUndefined();

    runWorker(app);
    await waitFor(async () => (await docRow(clean)).status === "clean" && (await docRow(infected)).status === "infected");
    expect(await docRow(clean)).toMatchObject({ storage_key: `files/${t.org.id}/${clean}` });
    expect(await filesIn("files", t.org.id)).toEqual([clean]);
    expect(await app.documents.createDownloadUrl(t.admin, { id: clean }, request())).toMatchObject({ ok: true });
  });

  it("quarantine on (the default): an upload lands in quarantine", async () => {
    const app = await appWith({});
    const t = await tenant("Quarantine");
    const id = await uploadAs(app, t, Buffer.from("x,y\n1,2\n"), "b.csv", "text/csv");
    expect(await docRow(id)).toMatchObject({ storage_key: `quarantine/${t.org.id}/${id}` });
  });

  async function crossSitePost(environment: Record<string, string>) {
    await appWith(environment);
    const proxy = (await import("@/proxy")).default as (request: NextRequest) => NextResponse | Promise<NextResponse>;
    const { SESSION_COOKIE_NAME } = await import("@/lib/auth/cookie-name");
    return proxy(
      new NextRequest("http://localhost:3000/api/account/sessions", {
        method: "POST",
        headers: { origin: "https://evil.example", cookie: `${SESSION_COOKIE_NAME}=anything`, "content-type": "application/json", "content-length": "2" },
        body: "{}",
      }),
    );
  }

  it("csrf off: the proxy lets a cross-site, cookie-carrying POST through; on, it refuses it with 403", async () => {
    const off = await crossSitePost({ FLAG_CSRF: "off" });
    expect(off.status).toBe(200);
    expect(off.headers.get("x-middleware-next")).toBe("1");
    const on = await crossSitePost({});
    expect(on.status).toBe(403);
    expect(await on.json()).toMatchObject({ code: "csrf_origin_mismatch" });
  });

  it("rate_limits off: a limiter allows every request without counting; on, it refuses past its limit", async () => {
    const name = `flags-${uid()}`;
    const off = await appWith({ FLAG_RATE_LIMITS: "off" });
    const offLimiter = off.ratelimit.createRateLimiter({ name, limit: 2, window: "60 s", store: null });
    const offDecisions = await Promise.all(Array.from({ length: 5 }, () => offLimiter.limit("subject")));
    expect(offDecisions.every((d) => d.success && d.backend === "off")).toBe(true);
    const on = await appWith({});
    const onLimiter = on.ratelimit.createRateLimiter({ name: `${name}-on`, limit: 2, window: "60 s", store: null });
    const onDecisions = [];
    for (let i = 0; i < 3; i++) onDecisions.push(await onLimiter.limit("subject"));
    expect(onDecisions.map((d) => d.success)).toEqual([true, true, false]);
  });
});

describe("OPS-4: an off security flag is audited once per org", () => {
  const flagEntries = async (orgId: string) =>
    (await ownerDb()).query<{ action: string; target_id: string; changes: Record<string, unknown> }>(
      "select action, target_id, changes from public.audit_logs where org_id = $1 and target_type = 'feature_flag' order by seq",
      [orgId],
    );

  it("two writers at once (two instances starting): one `security.flag_off` entry per flag; back on: one `flag.security_restored`; off again: recorded again", async () => {
    const off = await appWith({ FLAG_CSRF: "off", FLAG_RATE_LIMITS: "off" });
    const t = await orgWithMembers("Audited");
    const counts = await Promise.all([off.record.recordSecurityFlagStates(t.member.claims, t.org.id), off.record.recordSecurityFlagStates(t.admin.claims, t.org.id)]);
    expect(counts.sort()).toEqual([0, 2]);
    expect(await off.record.recordSecurityFlagStates(t.owner.claims, t.org.id)).toBe(0);
    expect(await flagEntries(t.org.id)).toEqual([
      { action: "security.flag_off", target_id: "csrf", changes: expect.objectContaining({ flag: "csrf", state: "off", setBy: "FLAG_CSRF", acknowledged: false, control: "HDR-4" }) },
      { action: "security.flag_off", target_id: "rate_limits", changes: expect.objectContaining({ flag: "rate_limits", state: "off", setBy: "FLAG_RATE_LIMITS" }) },
    ]);

    const on = await appWith({ FLAG_RATE_LIMITS: "off" });
    const again = await Promise.all([on.record.recordSecurityFlagStates(t.member.claims, t.org.id), on.record.recordSecurityFlagStates(t.admin.claims, t.org.id)]);
    expect(again.sort()).toEqual([0, 1]);
    const offAgain = await appWith({ FLAG_CSRF: "off", FLAG_RATE_LIMITS: "off" });
    expect(await offAgain.record.recordSecurityFlagStates(t.member.claims, t.org.id)).toBe(1);
    expect((await flagEntries(t.org.id)).map((e) => `${e.action}:${e.target_id}`)).toEqual([
      "security.flag_off:csrf",
      "security.flag_off:rate_limits",
      "flag.security_restored:csrf",
      "security.flag_off:csrf",
    ]);
    // The chain those entries joined still verifies.
    const { verifyAuditChains } = await import("@/lib/audit/verify");
    expect(await verifyAuditChains(await ownerDb(), t.org.id, { sinkRoot: null })).toMatchObject({ breaks: [] });
  });

  it("the org's first tenant transaction records it, before its own work (lib/db withTenant); the org's other requests do not write it again", async () => {
    const app = await appWith({ FLAG_QUARANTINE: "off" });
    const t = await orgWithMembers("Lazy");
    await app.db.withTenant(t.member.claims, (tx) => tx.query("select 1"));
    await app.db.withTenant(t.admin.claims, (tx) => tx.query("select 1"));
    expect((await flagEntries(t.org.id)).map((e) => `${e.action}:${e.target_id}:${String(e.changes.state)}`)).toEqual(["security.flag_off:quarantine:off"]);
  });

  it("a read-only API key's first request records it too, and is served", async () => {
    const app = await appWith({ FLAG_CSRF: "off" });
    const t = await tenant("ReadKey");
    const key = (await newKey(t.admin, { permissions: "read" })).plaintext;
    const { handleGraphQL } = await import("@/lib/graphql/server");
    const res = await handleGraphQL(
      new Request("http://localhost:3000/api/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.22", authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: "{ projects { nodes { id } } }" }),
      }),
    );
    expect(res.status).toBe(200);
    expect(app.env.flags.csrf.rollout.stage).toBe("off");
    expect((await flagEntries(t.org.id)).map((e) => `${e.action}:${e.target_id}`)).toEqual(["security.flag_off:csrf"]);
  });

  it("acknowledged in production, the entry says so", async () => {
    const { PRODUCTION_ENV } = await import("../helpers/production-env");
    const { parseEnv } = await import("@/lib/env");
    const flags = parseEnv({ ...PRODUCTION_ENV, FLAG_VIRUS_SCAN: "off", FEATURE_FLAGS_ACKNOWLEDGE_OFF: "virus_scan" }).flags;
    const app = await appWith({});
    const t = await orgWithMembers("Acknowledged");
    expect(await app.record.recordSecurityFlagStates(t.admin.claims, t.org.id, flags)).toBe(1);
    expect(await flagEntries(t.org.id)).toEqual([
      { action: "security.flag_off", target_id: "virus_scan", changes: expect.objectContaining({ state: "off_acknowledged", acknowledged: true, setBy: "FLAG_VIRUS_SCAN" }) },
    ]);
  });
});

describe("OPS-4: feature flags gate their capability by rollout stage", () => {
  async function graphqlStatus(environment: Record<string, string>, key: string) {
    await appWith(environment);
    const { handleGraphQL } = await import("@/lib/graphql/server");
    const res = await handleGraphQL(
      new Request("http://localhost:3000/api/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.21", authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: "{ projects { nodes { id } } }" }),
      }),
    );
    return res.status;
  }

  it("graphql: 404 for a key of an org outside the rollout (and for keys while admins go first), 200 inside it", async () => {
    const t = await tenant("GraphQL");
    const other = await tenant("Elsewhere");
    const key = (await newKey(t.admin, { permissions: "read" })).plaintext;
    expect(await graphqlStatus({ FLAG_GRAPHQL: `orgs:${t.org.id}` }, key)).toBe(200);
    expect(await graphqlStatus({ FLAG_GRAPHQL: `orgs:${other.org.id}` }, key)).toBe(404);
    expect(await graphqlStatus({ FLAG_GRAPHQL: `admins:${t.org.id}` }, key)).toBe(404);
    expect(await graphqlStatus({ FLAG_GRAPHQL: "off" }, key)).toBe(404);
  });

  it("url_import admin-first: a member of the pilot org is refused as not found before anything is fetched; its admin gets through to the URL check", async () => {
    const t = await tenant("Import");
    const app = await appWith({ FLAG_URL_IMPORT: `admins:${t.org.id}` });
    // A private address: past the flag, SSRF-1 refuses it (422), so nothing leaves this machine either way.
    const input = { projectId: t.projectId, url: "http://10.0.0.1/file.csv" };
    const member = await app.documents.importDocumentFromUrl(t.member, input, request());
    expect(member).toMatchObject({ ok: false, code: "not_found" });
    const admin = await app.documents.importDocumentFromUrl(t.admin, input, request());
    expect(admin).toMatchObject({ ok: false, code: "invalid_input" });
  });
});
