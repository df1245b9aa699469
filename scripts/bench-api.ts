// `npm run bench:api` (= tsx --conditions=react-server scripts/bench-api.ts): what the partner API's security costs.
//
// A benchmark, not a test: it always exits 0 once it has measured (non-zero only if it could not run at all),
// and prints PASS/MISS against the targets. It compares, in one run, on one machine, against the same data:
//
//   /secure  the real route handler `GET` of app/api/v1/projects/route.ts: bearer-key resolution (hash, then the
//            per-process key cache; a database lookup only on a key's first use), the per-key and per-org rate
//            limits (Redis when REDIS_URL is set, else in memory), and the query in an RLS tenant transaction whose
//            first round trip also sets the claims and has the database confirm the key is current
//            (private.assert_api_key_current). The verification log is buffered and written about once a second.
//   /bare    the same page query (`select … from public.projects … order by created_at desc, id desc limit 21`),
//            with the same JSON mapping, as the tables' owner, with no key, no limits and no transaction.
//
// Both run in one Node `http.createServer` process (a child of this script) that adapts Node requests to Web
// `Request`s, on 127.0.0.1 only; autocannon drives them from this process. Bounded: a warm-up, then
// BENCH_DURATION seconds per path.
//
// Rate-limit budget: RL-1 allows 600 requests/min per key and 3,000/min per org, and a benchmark sends far more.
// The limits are NOT disabled. Instead the seed provisions enough orgs and keys for the run to stay inside them
// (sized for BENCH_MAX_RPS, default 5,000 requests/s), each org with the same 50 projects, and every request
// presents the next key round-robin, like many partners at once. Any non-2xx answer (e.g. a 429) is reported
// and marks the figures invalid. Raise BENCH_MAX_RPS if that happens.
//
// Settings (environment): BENCH_DURATION=10 (s per measured path), BENCH_WARMUP=3 (s per path),
// BENCH_CONNECTIONS=10, BENCH_PROJECTS=50 (per org), BENCH_MAX_RPS=5000 (sizes the key budget), BENCH_ROUNDS=1,
// BENCH_RATE=<req/s> to send at a fixed total rate instead of as fast as possible (latency below saturation),
// BENCH_BREAKDOWN=1 to also measure the pieces of /secure on their own (diagnostic, not targets):
//   /verify  resolveApiKey only (parse, hash, cache; no database after the key's first use)
//   /auth    authenticateApiRequest: resolveApiKey + the per-key and per-org limits, no query
//   /tenant  the page query in the key's tenant transaction (withApiKeyTenant: claims + key check + query), with the
//            key resolved once at start-up (no limits)
//   /floor   the page query in a plain tenant transaction (withTenant with an org member's claims: BEGIN + claims and
//            role, the RLS query, COMMIT) — what the architecture's "one transaction per request that sets the claims
//            and a non-owner role" costs by itself, with no key check and no limits: the best /secure could reach
// BENCH_SERVER=next: instead of this script's Node server, a throw-away `next build` + `next start` of the app with a
// bare route handler (and the diagnostics) added, so both paths run through the real Next.js server and proxy.ts
// (scripts/bench/next.ts; PostgreSQL only). There, with the breakdown, /floor and /minimum (the floor plus the
// per-key and per-org limits on Redis: everything the fixed decisions and RL-1 require, nothing else) are measured
// in every round beside /secure and /bare. BENCH_PROFILE=<folder> writes a CPU profile of the Next.js server.
// Every path also reports the server's CPU time per request (Linux /proc): the cost per request, whatever else
// the machine is doing.
// Database and Redis: embedded defaults (PGlite in memory, in-memory limits), or DATABASE_URL (runtime role),
// MIGRATION_DATABASE_URL (owner: migrations, seed, /bare) and REDIS_URL as for the app.
import { fork, type ChildProcess } from "node:child_process";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import os from "node:os";
import { cpuSnapshot, ownCpuMs } from "./bench/cpu";
import { drivePath } from "./bench/load";
import { buildNextCopy, NEXT_PATHS, startNext } from "./bench/next";
import { QUICK, recordFigures, type FigureInput } from "./bench/results";
import { freePort, nextMessage, serveWebHandler } from "./bench/server";
import { median, roundOrder, setting } from "./bench/stats";

const TARGET_RPS_RATIO = 0.85;
const TARGET_P99_RATIO = 1.5;
const KEY_LIMIT_PER_MIN = 600;
const ORG_LIMIT_PER_MIN = 3_000;

// --quick: a smoke run (1 s of warm-up and 2 s per path), unless the settings say otherwise.
const num = (name: string, fallback: number) => setting(name, QUICK ? ({ BENCH_DURATION: 2, BENCH_WARMUP: 1 } as Record<string, number>)[name] ?? fallback : fallback);

interface Ready {
  type: "ready";
  port: number;
  engine: string;
  limiter: string;
  orgs: string[];
  keys: { key: string; org: string; id: string }[];
  projectsPerOrg: number;
  breakdown: boolean;
  /** What serves the paths: this script's Node server, or `next start` (BENCH_SERVER=next). */
  server: string;
  /** Next.js mode also has `floor` (the diagnostic /floor path). */
  paths: { secure: string; bare: string; floor?: string; minimum?: string; verify?: string; auth?: string };
  /** The process that serves the paths (with its children): its CPU time per request is reported. */
  serverPid: number;
}

interface ServerStats {
  type: "stats";
  limitHits: number;
  backendFallbacks: number;
  errors: number;
  keyVerifications: number | null;
  breaker: string;
}

// ---- the server (child process) -------------------------------------------------------------------------------

async function serve() {
  // Embedded defaults: an in-memory PGlite, never the developer's .data/pglite (which `npm run dev` may hold open).
  if (!process.env.DATABASE_URL) process.env.PGLITE_DATA_DIR ??= "memory://";
  if (process.env.DATABASE_URL && !process.env.MIGRATION_DATABASE_URL) {
    throw new Error("With DATABASE_URL, set MIGRATION_DATABASE_URL too (the owner seeds the data and serves /bare).");
  }

  // Count the API layer's log lines instead of printing thousands of them.
  const counts = { limitHits: 0, backendFallbacks: 0, errors: 0 };
  const original = console.log;
  const tally = (...args: unknown[]) => {
    const line = args.map(String).join(" ");
    if (line.includes("rate limit hit")) counts.limitHits++;
    else if (line.includes("in-memory fallback")) counts.backendFallbacks++;
    else if (line.includes('"level":"error"')) counts.errors++;
    else original(...args);
  };
  console.log = tally;
  console.error = tally;

  const { env } = await import("@/lib/env");
  const { closeDb, migrate, ownerDb } = await import("@/lib/db");
  const { openPostgres } = await import("@/lib/db/engine");
  const { apiKeyPrefix, generateApiKey, hashApiKey } = await import("@/lib/api-keys/key-format");
  const { closeDefaultRateLimitStore, rateLimitStatus } = await import("@/lib/ratelimit");
  const { projectResource } = await import("@/lib/api/resources");
  const { encodeCursor, KEYSET_AT, keysetPage } = await import("@/lib/pagination/keyset");
  const { GET } = await import("@/app/api/v1/projects/route");
  const { flushKeyUses, resolveApiKey, withApiKeyTenant } = await import("@/lib/api-keys");
  const { authenticateApiRequest } = await import("@/lib/api/handler");
  const { withTenant } = await import("@/lib/db");
  const { markVerified } = await import("@/lib/auth/claims");
  const { pageProjects } = await import("@/lib/projects/store");

  const owner = await ownerDb();
  if (env.databaseEngine === "postgres") await migrate(owner);

  // ---- seed: N orgs x 50 projects, K read-only org-wide keys (round-robin over the orgs) ----
  const duration = num("BENCH_DURATION", 10);
  const warmup = num("BENCH_WARMUP", 3);
  const rounds = num("BENCH_ROUNDS", 1);
  const maxRps = num("BENCH_MAX_RPS", 5_000);
  const projectsPerOrg = num("BENCH_PROJECTS", 50);
  const breakdown = process.env.BENCH_BREAKDOWN === "1";
  // Requests that count against the limits (/secure, and /auth with the breakdown) in one run, with a margin.
  // With the breakdown, /auth and (Next.js mode) /minimum count against the same per-org limits as /secure.
  const budget = maxRps * (warmup + duration * rounds) * (breakdown ? 3 : 1) * 1.25;
  const orgCount = Math.max(1, Math.ceil(budget / ORG_LIMIT_PER_MIN));
  const keyCount = Math.max(orgCount, Math.ceil(budget / KEY_LIMIT_PER_MIN));
  const run = randomBytes(4).toString("hex");
  const orgs = Array.from({ length: orgCount }, (_, i) => `org_bench${run}x${i}`);
  for (const [i, org] of orgs.entries()) {
    await owner.query("insert into public.organizations (id, name, slug) values ($1, $2, $3)", [org, `Bench ${i}`, `bench-${run}-${i}`]);
    await owner.query(
      `insert into public.projects (org_id, name, created_by, created_at, updated_at)
       select $1, 'Project ' || g, 'user_bench', now() - make_interval(secs => g), now() - make_interval(secs => g)
         from generate_series(1, $2::int) g`,
      [org, projectsPerOrg],
    );
  }
  const keys: { key: string; org: string; id: string }[] = [];
  for (let i = 0; i < keyCount; i++) {
    const org = orgs[i % orgCount]!;
    const key = generateApiKey("test");
    const [row] = await owner.query<{ id: string }>(
      `insert into public.api_keys (org_id, name, prefix, key_hash, permissions, created_by)
       values ($1, $2, $3, $4, array['read'], 'user_bench') returning id`,
      [org, `bench ${i}`, apiKeyPrefix(key), hashApiKey(key)],
    );
    keys.push({ key, org, id: row!.id });
  }

  // ---- /bare: the same page query and JSON, as the owner, no security. On PostgreSQL its own pool, the size of
  // the runtime pool (ownerDb's pool has 2 connections, which would make /bare look slower than it is). ----
  const barePool = env.databaseEngine === "postgres" ? openPostgres(env.MIGRATION_DATABASE_URL!, env.DB_POOL_MAX) : owner;
  const PAGE = `select id, org_id, name, created_by, created_at, updated_at, ${KEYSET_AT} from public.projects
                 where org_id = $1 order by created_at desc, id desc limit 21`;
  type Row = Parameters<typeof projectResource>[0] & { keyset_at: string };
  const bare = async (request: Request): Promise<Response> => {
    const rows = await barePool.query<Row>(PAGE, [request.headers.get("x-bench-org") ?? orgs[0]]);
    const page = keysetPage(rows, 20);
    return Response.json({ data: page.items.map(projectResource), nextCursor: encodeCursor(page.next) });
  };

  // Diagnostic paths (BENCH_BREAKDOWN=1): the pieces of /secure, each alone.
  const resolvedKeys = new Map<string, Awaited<ReturnType<typeof resolveApiKey>>>();
  if (breakdown) for (const { key } of keys) resolvedKeys.set(key, await resolveApiKey(`Bearer ${key}`, "127.0.0.1"));
  const bearer = (request: Request) => (request.headers.get("authorization") ?? "").replace(/^Bearer /, "");
  const diagnostic: Record<string, (request: Request) => Promise<Response>> = {
    "/verify": async (request) => {
      await resolveApiKey(request.headers.get("authorization"), "127.0.0.1");
      return Response.json({ ok: true });
    },
    "/auth": async (request) => {
      const auth = await authenticateApiRequest(request);
      return auth instanceof Response ? auth : Response.json({ ok: true });
    },
    "/floor": async (request) => {
      const org = request.headers.get("x-bench-org") ?? orgs[0]!;
      const claims = markVerified({ sub: "user_bench", sid: "sess_bench", iss: "bench", azp: "bench", exp: 0, nbf: 0, iat: 0, o: { id: org, rol: "member" } });
      const page = await withTenant(claims, (tx) => pageProjects(tx, { limit: 20 }), { singleStatement: true });
      return Response.json({ data: page.items.map(projectResource), nextCursor: encodeCursor(page.next) });
    },
    "/tenant": async (request) => {
      const key = resolvedKeys.get(bearer(request));
      if (!key) return new Response("unknown key", { status: 401 });
      const page = await withApiKeyTenant(key, (tx) => pageProjects(tx, { limit: 20 }), { pipelined: true, singleStatement: true });
      return Response.json({ data: page.items.map(projectResource), nextCursor: encodeCursor(page.next) });
    },
  };

  // BENCH_SERVER=next: the real Next.js production server instead (scripts/bench/next.ts).
  if (process.env.BENCH_SERVER === "next") {
    if (env.databaseEngine !== "postgres") {
      throw new Error("BENCH_SERVER=next needs DATABASE_URL and MIGRATION_DATABASE_URL: the Next.js server and this script share the database.");
    }
    original("Building a throw-away copy of the app with a bare route handler under .bench/next-app (next build)…");
    const dir = buildNextCopy(process.cwd());
    const port = await freePort();
    const nextServer = await startNext(dir, port, (line) => tally(line));
    process.send!({
      type: "ready",
      port,
      engine: "PostgreSQL",
      limiter: env.REDIS_URL ? "redis" : "memory",
      orgs,
      keys,
      projectsPerOrg,
      breakdown,
      server: "Next.js production server (npm start: scripts/server.mjs)",
      paths: NEXT_PATHS,
      serverPid: nextServer.pid,
    } satisfies Ready);
    process.on("message", async (message: { type: string }) => {
      if (message.type === "stats") {
        // The Next.js server writes its key log about once a second.
        await new Promise((r) => setTimeout(r, 1_500));
        const [row] = await owner.query<{ n: number }>("select count(*)::int as n from public.key_verifications where org_id = any($1::text[])", [orgs]);
        process.send!({ type: "stats", ...counts, keyVerifications: row?.n ?? null, breaker: "n/a (in the Next.js process)" } satisfies ServerStats);
      }
      if (message.type === "stop") {
        await nextServer.stop().catch(() => {});
        await owner.query("delete from public.organizations where id = any($1::text[])", [orgs]).catch(() => {});
        await barePool.close().catch(() => {});
        await closeDb().catch(() => {});
        process.exit(0);
      }
    });
    return;
  }

  // As the nearest proxy (TRUSTED_PROXY_HOPS=1) would: the peer address is the client IP (serveWebHandler).
  const server = await serveWebHandler(async (request) => {
    const { pathname } = new URL(request.url);
    return pathname === "/secure"
      ? GET(request, { params: Promise.resolve({}) })
      : pathname === "/bare"
        ? bare(request)
        : breakdown && diagnostic[pathname]
          ? diagnostic[pathname]!(request)
          : new Response("not found", { status: 404 });
  }, () => counts.errors++);

  const send = (message: Ready | ServerStats) => process.send!(message);
  send({
    type: "ready",
    port: (server.address() as AddressInfo).port,
    engine: env.databaseEngine === "postgres" ? "PostgreSQL" : "PGlite (in memory)",
    limiter: rateLimitStatus().backend,
    orgs,
    keys,
    projectsPerOrg,
    breakdown,
    server: "Node http.createServer (route handlers called directly)",
    paths: { secure: "/secure", bare: "/bare" },
    serverPid: process.pid,
  });

  process.on("message", async (message: { type: string }) => {
    if (message.type === "stats") {
      await flushKeyUses();
      const [row] = await owner
        .query<{ n: number }>("select count(*)::int as n from public.key_verifications where org_id = any($1::text[])", [orgs])
        .catch(() => [{ n: null as unknown as number }]);
      send({ type: "stats", ...counts, keyVerifications: row?.n ?? null, breaker: String(rateLimitStatus().breaker) });
    }
    if (message.type === "stop") {
      server.closeAllConnections();
      server.close();
      // Leave a shared PostgreSQL as we found it (cascades to projects, keys and their verification log).
      if (env.databaseEngine === "postgres") {
        await owner.query("delete from public.organizations where id = any($1::text[])", [orgs]).catch(() => {});
        await barePool.close().catch(() => {});
      }
      await closeDefaultRateLimitStore().catch(() => {});
      await closeDb().catch(() => {});
      process.exit(0);
    }
  });
}

// ---- the driver (this process) ---------------------------------------------------------------------------------

interface Measured {
  path: string;
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** CPU time (user + system) the server process and its children spent per request; null where /proc is missing. */
  cpuMs: number | null;
  /**
   * The same for the other processes the two cores are shared with (diagnostic): local PostgreSQL (every process
   * named `postgres`), local Redis (`redis-server`) and the load generator (this process). Null where not visible.
   */
  others: { postgres: number | null; redis: number | null; loadGenerator: number } | null;
}

async function drive() {
  const duration = num("BENCH_DURATION", 10);
  const warmup = num("BENCH_WARMUP", 3);
  const connections = num("BENCH_CONNECTIONS", 10);
  const rounds = num("BENCH_ROUNDS", 1);
  const rate = process.env.BENCH_RATE ? num("BENCH_RATE", 1) : undefined;
  const loadAtStart = os.loadavg()[0]!;

  const child: ChildProcess = fork(process.argv[1]!, ["--serve"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const next = <T>(type: string) => nextMessage<T>(child, type);

  console.log("Seeding and starting the server…");
  const ready = await next<Ready>("ready");
  const base = `http://127.0.0.1:${ready.port}`;
  console.log(`${ready.server}: ${ready.paths.secure} vs ${ready.paths.bare}.`);
  console.log(`${ready.engine}, rate limits: ${ready.limiter}; ${ready.orgs.length} org(s) x ${ready.projectsPerOrg} projects, ${ready.keys.length} keys.`);

  // Same answer from both paths, or the comparison means nothing.
  const sample = ready.keys[0]!;
  const secure = await fetch(`${base}${ready.paths.secure}`, { headers: { authorization: `Bearer ${sample.key}` } });
  const plain = await fetch(`${base}${ready.paths.bare}`, { headers: { authorization: `Bearer ${sample.key}`, "x-bench-org": sample.org } });
  const [a, b] = [await secure.text(), await plain.text()];
  if (secure.status !== 200 || plain.status !== 200 || a !== b) {
    console.error(`The two paths disagree: /secure ${secure.status} (${a.length} bytes), /bare ${plain.status} (${b.length} bytes).`);
    child.send({ type: "stop" });
    process.exit(1);
  }
  console.log(`Both paths answer the same ${a.length}-byte page (${(JSON.parse(a) as { data: unknown[] }).data.length} projects).`);

  let turn = 0;
  const load = async (path: string, seconds: number) => {
    const before = cpuSnapshot(ready.serverPid);
    const driverBefore = ownCpuMs();
    const result = await drivePath({
      url: base,
      connections,
      seconds,
      rate,
      // The labels /secure and /bare name the two paths of whichever server runs (see ready.paths).
      path: ready.paths[path.slice(1) as keyof Ready["paths"]] ?? path,
      // Every request presents the next key (and, for /bare, names that key's org): the limiter budget above.
      headers: () => {
        const k = ready.keys[turn++ % ready.keys.length]!;
        return { authorization: `Bearer ${k.key}`, "x-bench-org": k.org, "x-bench-key-id": k.id };
      },
    });
    const after = before && cpuSnapshot(ready.serverPid);
    const driverAfter = ownCpuMs();
    const n = result.requests.total;
    const per = (a: number | null | undefined, b: number | null | undefined) => (a === null || a === undefined || b === null || b === undefined || n === 0 ? null : (a - b) / n);
    return {
      path,
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      mean: result.latency.average,
      requests: result.requests.total,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      cpuMs: per(after?.server, before?.server),
      // PGlite runs inside the server, the in-memory limiter too: the machine's PostgreSQL or Redis is not theirs.
      others:
        before && after && n > 0
          ? {
              postgres: process.env.DATABASE_URL ? per(after.postgres, before.postgres) : null,
              redis: process.env.REDIS_URL ? per(after.redis, before.redis) : null,
              loadGenerator: (driverAfter - driverBefore) / n,
            }
          : null,
    } satisfies Measured;
  };

  console.log(`Warm-up: ${warmup} s per path…`);
  await load("/secure", warmup);
  await load("/bare", warmup);
  const results: Measured[] = [];
  // With the breakdown, /floor (the mandated transaction alone) takes part in every round: the bound it sets on
  // /secure is read from the same rounds.
  const measured = ready.breakdown && ready.paths.minimum ? ["/secure", "/bare", "/floor", "/minimum"] : ["/secure", "/bare"];
  for (const path of measured.slice(2)) await load(path, warmup);
  for (let r = 0; r < rounds; r++) {
    // Alternate the order between rounds so neither path always runs on a warmer (or more fragmented) database.
    for (const path of roundOrder(measured, r)) {
      console.log(`Measuring ${path} for ${duration} s with ${connections} connections (round ${r + 1}/${rounds})…`);
      results.push(await load(path, duration));
    }
  }
  // Next.js mode has no /tenant (it needs keys resolved in the server process at start-up).
  const pieces = !ready.breakdown ? [] : ready.paths.minimum ? ["/verify", "/auth"] : ["/verify", "/auth", "/tenant", "/floor"];
  for (const path of pieces) {
    console.log(`Breakdown: ${path} for ${duration} s (after ${warmup} s warm-up)…`);
    await load(path, warmup);
    results.push(await load(path, duration));
  }

  child.send({ type: "stats" });
  const stats = await next<ServerStats>("stats");
  child.send({ type: "stop" });

  const summarise = (path: string): Measured => {
    const rs = results.filter((m) => m.path === path);
    return {
      path,
      rps: median(rs.map((m) => m.rps)),
      p50: median(rs.map((m) => m.p50)),
      p99: median(rs.map((m) => m.p99)),
      mean: median(rs.map((m) => m.mean)),
      requests: rs.reduce((s, m) => s + m.requests, 0),
      non2xx: rs.reduce((s, m) => s + m.non2xx, 0),
      errors: rs.reduce((s, m) => s + m.errors, 0),
      timeouts: rs.reduce((s, m) => s + m.timeouts, 0),
      cpuMs: rs.some((m) => m.cpuMs === null) ? null : median(rs.map((m) => m.cpuMs!)),
      others: rs.some((m) => m.others === null)
        ? null
        : {
            postgres: rs.some((m) => m.others!.postgres === null) ? null : median(rs.map((m) => m.others!.postgres!)),
            redis: rs.some((m) => m.others!.redis === null) ? null : median(rs.map((m) => m.others!.redis!)),
            loadGenerator: median(rs.map((m) => m.others!.loadGenerator)),
          },
    };
  };
  const s = summarise("/secure");
  const bareResult = summarise("/bare");

  const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  const f = (n: number, d = 1) => n.toFixed(d);
  console.log("");
  console.log(
    `GET /api/v1/projects — ${ready.server}, ${ready.engine}, rate limits ${ready.limiter}, ${connections} connections, ${rate ? `fixed ${rate} req/s, ` : ""}` +
      `${duration} s x ${rounds}, Node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, load average at start ${loadAtStart.toFixed(2)}`,
  );
  console.log(row(["path", "req/s", "p50 ms", "p99 ms", "mean ms", "server CPU ms/req", "PostgreSQL CPU ms/req", "Redis CPU ms/req", "load generator CPU ms/req", "requests", "non-2xx", "errors"]));
  console.log(row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]));
  const cpu = (m: Measured) => (m.cpuMs === null ? "n/a" : f(m.cpuMs, 3));
  const other = (v: number | null | undefined) => (v === null || v === undefined ? "n/a" : f(v, 3));
  const others = [...measured.filter((p) => p !== "/secure" && p !== "/bare"), ...pieces];
  for (const m of [s, bareResult, ...others.map(summarise)]) {
    const o = m.others;
    console.log(row([m.path, f(m.rps), f(m.p50, 2), f(m.p99, 2), f(m.mean, 2), cpu(m), other(o?.postgres), other(o?.redis), other(o?.loadGenerator), m.requests, m.non2xx, m.errors + m.timeouts]));
  }
  if (rounds > 1) {
    for (const path of measured) {
      const rs = results.filter((m) => m.path === path);
      console.log(`${path} per round: ${rs.map((m) => `${f(m.rps)} req/s p99 ${f(m.p99, 0)} ms, ${cpu(m)} CPU ms/req`).join("; ")} (the table shows medians)`);
    }
  }
  // Paired ratios: each round measures the paths back to back, so a round's ratio is taken while the machine is in
  // one state; their median resists drift between rounds (other work on a shared VM) better than medians' ratio.
  const perRound = (path: string) => results.filter((m) => m.path === path);
  const paired = (path: string, value: (a: Measured, bare: Measured) => number | null): number | null => {
    const ratios = perRound(path).map((m, i) => value(m, perRound("/bare")[i]!));
    return ratios.some((x) => x === null) ? null : median(ratios as number[]);
  };
  const rpsOf = (path: string) => paired(path, (m, b) => m.rps / b.rps)!;
  const cpuOf = (path: string) => paired(path, (m, b) => (m.cpuMs === null || b.cpuMs === null ? null : b.cpuMs / m.cpuMs));
  const useRounds = rounds >= 3;
  const rpsRatio = useRounds ? rpsOf("/secure") : s.rps / bareResult.rps;
  const p99Ratio = s.p99 / Math.max(bareResult.p99, 0.001);
  const how = useRounds ? "median of the per-round ratios" : "one round";
  console.log("");
  const rpsVerdict = rate ? "n/a (fixed rate: both paths were offered the same load)" : rpsRatio >= TARGET_RPS_RATIO ? "PASS" : "MISS";
  console.log(`throughput ratio (secure / bare req/s): ${f(rpsRatio, 3)} (${how}; ratio of the medians ${f(s.rps / bareResult.rps, 3)})  target >= ${TARGET_RPS_RATIO}: ${rpsVerdict}`);
  console.log(`p99 latency ratio (secure / bare):      ${f(p99Ratio, 2)}x  target <= ${TARGET_P99_RATIO}x: ${p99Ratio <= TARGET_P99_RATIO ? "PASS" : "MISS"}`);
  const cpuLine = (label: string, path: string) => {
    const ratio = useRounds ? cpuOf(path) : (() => {
      const m = summarise(path);
      return m.cpuMs === null || bareResult.cpuMs === null ? null : bareResult.cpuMs / m.cpuMs;
    })();
    if (ratio !== null) console.log(`${label}: ${f(ratio, 3)}`);
  };
  cpuLine("server CPU ratio (bare / secure CPU ms per request; the throughput ratio where the server's core is the bottleneck)", "/secure");
  if (ready.breakdown) {
    const diagnostics: [string, string][] = [
      ["/floor", "the tenant transaction alone, no key check, no limits"],
      ["/minimum", "the floor plus the per-key and per-org limits on Redis"],
    ];
    for (const [path, what] of diagnostics) {
      if (!results.some((m) => m.path === path)) continue;
      const ratio = measured.includes(path) && useRounds ? rpsOf(path) : summarise(path).rps / bareResult.rps;
      console.log(`${path.slice(1)} ratio (${path} / bare req/s): ${f(ratio, 3)}  (diagnostic: ${what})`);
      if (measured.includes(path)) cpuLine(`${path.slice(1)} CPU ratio (bare / ${path} CPU ms per request)`, path);
    }
  }
  console.log(
    `server: ${stats.keyVerifications ?? "?"} key-verification log rows kept (newest 200 per key, trimmed once a minute), ${stats.limitHits} limit hits, ` +
      `${stats.backendFallbacks} Redis fallbacks to memory (breaker ${stats.breaker}), ${stats.errors} server errors`,
  );
  const invalid = results.reduce((n, m) => n + m.non2xx + m.errors + m.timeouts, 0) + stats.limitHits > 0;
  if (invalid) {
    console.log("INVALID: some requests were refused or failed (see non-2xx / limit hits); the ratios above are not comparable. Raise BENCH_MAX_RPS.");
  }
  const mode = `${ready.paths.minimum ? "Next.js" : "plain server"}, ${ready.engine}`;
  const note = invalid ? "INVALID: requests refused or failed" : undefined;
  const figures: FigureInput[] = [
    { name: `throughput /secure / /bare (${mode}; ${how})`, value: rpsRatio, unit: "ratio", target: rate ? null : { op: ">=", value: TARGET_RPS_RATIO }, note },
    { name: `p99 latency /secure / /bare (${mode})`, value: p99Ratio, unit: "x", target: { op: "<=", value: TARGET_P99_RATIO }, note },
    { name: "/secure", value: s.rps, unit: "req/s" },
    { name: "/bare", value: bareResult.rps, unit: "req/s" },
  ];
  const serverCpu = useRounds ? cpuOf("/secure") : null;
  if (serverCpu !== null) figures.push({ name: "server CPU bare / secure", value: serverCpu, unit: "ratio" });
  for (const path of ["/floor", "/minimum"]) {
    if (measured.includes(path) && useRounds) figures.push({ name: `${path} / /bare (diagnostic)`, value: rpsOf(path), unit: "ratio" });
  }
  await recordFigures("api", figures);
  await new Promise((resolve) => child.once("exit", resolve));
}

if (process.argv.includes("--serve")) {
  serve().catch((error: unknown) => {
    console.error(`benchmark server: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
} else {
  drive()
    .then(() => process.exit(0))
    .catch((error: unknown) => {
      console.error(`bench-api: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
}
