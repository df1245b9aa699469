// `BENCH_SERVER=next npm run bench:api`: the benchmark through the real Next.js production server.
//
// The partner API's route and a bare route handler must run in the same Next.js app, on the same server, behind
// the same proxy.ts, to be compared. The bare handler must never ship, so this builds a throw-away copy of the
// working tree under .bench/next-app (git-ignored) with extra routes: app/api/v1/bench-bare, the page query of
// GET /api/v1/projects as the tables' owner with the same JSON and no key, no limits, no transaction; and for
// BENCH_BREAKDOWN=1 bench-floor (the same query in a plain tenant transaction), bench-verify and bench-auth.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

const SKIP = new Set([".bench", ".git", ".next", ".data", "node_modules", "test-results", "playwright-report", "coverage"]);

const BARE_ROUTE = `// Benchmark only, written by scripts/bench/next.ts into a throw-away copy: never part of the product.
import { openPostgres } from "@/lib/db/engine";
import { projectResource } from "@/lib/api/resources";
import { encodeCursor, KEYSET_AT, keysetPage } from "@/lib/pagination/keyset";

const pool = openPostgres(process.env.MIGRATION_DATABASE_URL!, Number(process.env.DB_POOL_MAX ?? 10));
const PAGE = \`select id, org_id, name, created_by, created_at, updated_at, \${KEYSET_AT} from public.projects
               where org_id = $1 order by created_at desc, id desc limit 21\`;
type Row = Parameters<typeof projectResource>[0] & { keyset_at: string };

export async function GET(request: Request): Promise<Response> {
  const rows = await pool.query<Row>(PAGE, [request.headers.get("x-bench-org") ?? ""]);
  const page = keysetPage(rows, 20);
  return Response.json({ data: page.items.map(projectResource), nextCursor: encodeCursor(page.next) });
}
`;

// The floor: the same query in a plain single-statement tenant transaction with an org member's claims (BEGIN READ
// ONLY, claims and role, the RLS query and COMMIT in one round trip), no key, no limits: what the architecture's
// one-transaction-per-request rule costs by itself.
const FLOOR_ROUTE = `// Benchmark only, written by scripts/bench/next.ts into a throw-away copy: never part of the product.
import { withTenant } from "@/lib/db";
import { markVerified } from "@/lib/auth/claims";
import { projectResource } from "@/lib/api/resources";
import { encodeCursor } from "@/lib/pagination/keyset";
import { pageProjects } from "@/lib/projects/store";

export async function GET(request: Request): Promise<Response> {
  const org = request.headers.get("x-bench-org") ?? "";
  const claims = markVerified({ sub: "user_bench", sid: "sess_bench", iss: "bench", azp: "bench", exp: 0, nbf: 0, iat: 0, o: { id: org, rol: "member" } });
  const page = await withTenant(claims, (tx) => pageProjects(tx, { limit: 20 }), { singleStatement: true });
  return Response.json({ data: page.items.map(projectResource), nextCursor: encodeCursor(page.next) });
}
`;

// The mandated minimum (BENCH_BREAKDOWN=1): the floor plus the per-key and per-org sliding-window limits on Redis
// (RL-1), called as the partner API calls them, on the key's id (sent by the benchmark beside the key), so each key
// has its own window, as with /secure. No key check, no log, no validation.
const MINIMUM_ROUTE = `// Benchmark only, written by scripts/bench/next.ts into a throw-away copy: never part of the product.
import { withTenant } from "@/lib/db";
import { markVerified } from "@/lib/auth/claims";
import { createAppRateLimiters } from "@/lib/ratelimit";
import { projectResource } from "@/lib/api/resources";
import { encodeCursor } from "@/lib/pagination/keyset";
import { pageProjects } from "@/lib/projects/store";

const limiters = createAppRateLimiters();

export async function GET(request: Request): Promise<Response> {
  const org = request.headers.get("x-bench-org") ?? "";
  const decisions = await Promise.all([
    limiters.apiKey.limit(request.headers.get("x-bench-key-id") ?? ""),
    limiters.org.limit(org),
  ]);
  if (decisions.some((d) => !d.success)) return new Response(null, { status: 429 });
  const claims = markVerified({ sub: "user_bench", sid: "sess_bench", iss: "bench", azp: "bench", exp: 0, nbf: 0, iat: 0, o: { id: org, rol: "member" } });
  const page = await withTenant(claims, (tx) => pageProjects(tx, { limit: 20 }), { singleStatement: true });
  return Response.json({ data: page.items.map(projectResource), nextCursor: encodeCursor(page.next) });
}
`;

// Diagnostics (BENCH_BREAKDOWN=1): the key resolution alone, and the key plus the rate limits, each answering a
// small JSON body, to see what they cost inside the Next.js server.
const VERIFY_ROUTE = `// Benchmark only, written by scripts/bench/next.ts into a throw-away copy: never part of the product.
import { resolveApiKey } from "@/lib/api-keys";

export async function GET(request: Request): Promise<Response> {
  await resolveApiKey(request.headers.get("authorization"), "127.0.0.1");
  return Response.json({ ok: true });
}
`;
const AUTH_ROUTE = `// Benchmark only, written by scripts/bench/next.ts into a throw-away copy: never part of the product.
import { authenticateApiRequest } from "@/lib/api/handler";

export async function GET(request: Request): Promise<Response> {
  const auth = await authenticateApiRequest(request);
  return auth instanceof Response ? auth : Response.json({ ok: true });
}
`;

export const NEXT_PATHS = {
  secure: "/api/v1/projects",
  bare: "/api/v1/bench-bare",
  floor: "/api/v1/bench-floor",
  minimum: "/api/v1/bench-minimum",
  verify: "/api/v1/bench-verify",
  auth: "/api/v1/bench-auth",
} as const;

/** Copies the working tree, adds the bare route, and runs `next build` there. Returns the copy's folder. */
export function buildNextCopy(root: string): string {
  const dir = path.join(root, ".bench", "next-app");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const entry of readdirSync(root)) {
    if (SKIP.has(entry)) continue;
    execFileSync("cp", ["-a", path.join(root, entry), dir]);
  }
  // Hard links: a full node_modules in seconds (Turbopack refuses a symlink that leaves the project).
  try {
    execFileSync("cp", ["-al", path.join(root, "node_modules"), dir]);
  } catch {
    execFileSync("cp", ["-a", path.join(root, "node_modules"), dir]);
  }
  mkdirSync(path.join(dir, "app", "api", "v1", "bench-bare"), { recursive: true });
  writeFileSync(path.join(dir, "app", "api", "v1", "bench-bare", "route.ts"), BARE_ROUTE);
  for (const [name, source] of [
    ["bench-floor", FLOOR_ROUTE],
    ["bench-minimum", MINIMUM_ROUTE],
    ["bench-verify", VERIFY_ROUTE],
    ["bench-auth", AUTH_ROUTE],
  ]) {
    mkdirSync(path.join(dir, "app", "api", "v1", name!), { recursive: true });
    writeFileSync(path.join(dir, "app", "api", "v1", name!, "route.ts"), source!);
  }
  if (process.env.BENCH_PROFILE) {
    // Readable function names in the CPU profile: the server bundles are not minified in a profiling build.
    const config = path.join(dir, "next.config.ts");
    writeFileSync(config, readFileSync(config, "utf8").replace("experimental: {", "experimental: { serverMinification: false,"));
  }
  const env: NodeJS.ProcessEnv = { ...process.env, ALLOW_EMBEDDED_IN_PRODUCTION: "true", NEXT_TELEMETRY_DISABLED: "1" };
  for (const name of ["DATABASE_URL", "MIGRATION_DATABASE_URL", "REDIS_URL", "NODE_ENV", "NODE_OPTIONS"]) delete env[name];
  execFileSync(path.join(dir, "node_modules", ".bin", "next"), ["build"], { cwd: dir, env, stdio: ["ignore", "ignore", "inherit"] });
  return dir;
}

/**
 * The production server entry (`npm start`: scripts/server.mjs, client address from the socket) in the copy, against
 * the benchmark's PostgreSQL and Redis on loopback (which needs no TLS). ALLOW_EMBEDDED_IN_PRODUCTION permits the
 * embedded identity provider that signs the benchmark's sessions; nothing else differs from production.
 */
export async function startNext(dir: string, port: number, onLine: (line: string) => void): Promise<{ pid: number; stop: () => Promise<void> }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    ALLOW_EMBEDDED_IN_PRODUCTION: "true",
    NEXT_TELEMETRY_DISABLED: "1",
    APP_URL: `http://127.0.0.1:${port}`,
    IDP_KEY_FILE: path.join(dir, ".data", "idp-key.json"),
  };
  // BENCH_PROFILE=<folder>: the server writes a V8 CPU profile (.cpuprofile, for Chrome DevTools) there on exit.
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE)}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, path.join(dir, "scripts", "server.mjs"), "-p", String(port), "-H", "127.0.0.1"], {
    cwd: dir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    let buffered = "";
    stream.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    });
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error("the server did not answer /health/live within 60 s");
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
