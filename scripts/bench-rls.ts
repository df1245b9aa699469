// `npm run bench:rls` (= tsx --conditions=react-server scripts/bench-rls.ts): row-level security at scale on
// PostgreSQL. A benchmark, not a test: it exits 0 once it has measured (non-zero only if it could not run, or if the
// paths disagree on what a caller sees).
//
// Its own database (BENCH_RLS_DATABASE, default tenantguard_bench_rls; created fresh, migrated with the app's
// migrations, dropped at the end unless BENCH_KEEP_DB=1), seeded in SQL (scripts/bench/rls-seed.sql): 1,000,000
// documents over 1,000 orgs of 50 projects, one admin and one member per org; the member holds viewer grants on 5
// of the 50 projects and the orgs' base permission is none, so only the grants let it read. For each caller (admin,
// member) and query (newest 50, count, fetch by id) three paths, measured in paired rounds:
//   shipped  withTenant (lib/db) with the caller's claims and the shipped policies (one single-statement transaction)
//   limit    the same query as the tables' owner with a hand-written filter (org, and for the member its live
//            grants) and no row-level security: what the policies cannot beat
//   naive    withTenant on a copy of the documents (schema bench_naive, with the same indexes) whose policy is the
//            shipped one written naively: the helpers, each reading auth.jwt(), called per row instead of once per
//            statement in sub-selects (the anti-pattern; a contrast, no target)
//   floor    diagnostic: the limit's statement inside the transaction withTenant sends (BEGIN READ ONLY, the claims
//            and time limit, the statement, COMMIT), as the owner: what the mandated transaction costs by itself
// Target: shipped at most 1.2x the limit's time per query. BENCH_RLS_EXPLAIN=1 prints EXPLAIN (ANALYZE, BUFFERS) of
// the shipped path of each query (the plan docs/benchmarks.md shows).
// Settings: BENCH_RLS_ORGS (1000), BENCH_RLS_DOCS (1000000), BENCH_ROUNDS (5), BENCH_DURATION (2 s per path and
// round), BENCH_CONNECTIONS (4 queries in flight); --quick: 100 orgs, 100,000 documents, 3 rounds of 1 s.
import { readFileSync } from "node:fs";
import pg from "pg";
import path from "node:path";
import { benchDatabase } from "./bench/database";
import { QUICK, recordFigures, type FigureInput } from "./bench/results";
import { pairedRatio, median, roundOrder, setting } from "./bench/stats";

const TARGET_RATIO = 1.2;
const ORGS = setting("BENCH_RLS_ORGS", QUICK ? 100 : 1_000);
const DOCS = setting("BENCH_RLS_DOCS", QUICK ? 100_000 : 1_000_000);
const ROUNDS = setting("BENCH_ROUNDS", QUICK ? 3 : 5);
const SECONDS = setting("BENCH_DURATION", QUICK ? 1 : 2);
const IN_FLIGHT = setting("BENCH_CONNECTIONS", 4);
const DATABASE = process.env.BENCH_RLS_DATABASE ?? "tenantguard_bench_rls";
const KEEP = process.env.BENCH_KEEP_DB === "1";
const { escapeLiteral } = pg;

const COLUMNS = "id, org_id, project_id, name, mime_type, size_bytes, status, content_hash, source, scanned_at, created_by, created_at";
const ORDER = "order by created_at desc, id desc";
// The member's live grants, as the limit reads them by hand (what private.granted_project_ids returns for it).
const GRANTED = "select g.project_id from public.project_grants g where g.user_id = $2 and g.org_id = $1 and (g.expires_at is null or g.expires_at > now())";

type Role = "admin" | "member";
type Query = "newest 50" | "count" | "by id";
type PathName = "shipped" | "limit" | "naive" | "floor";
const ROLES: Role[] = ["admin", "member"];
const QUERIES: Query[] = ["newest 50", "count", "by id"];
const PATHS: PathName[] = ["shipped", "limit", "naive", "floor"];

/** The statement each path runs (the policies add the rest for shipped and naive). */
function statement(path: PathName, role: Role, query: Query): string {
  const table = path === "naive" ? "bench_naive.documents" : "public.documents";
  if (path === "shipped" || path === "naive") {
    if (query === "newest 50") return `select ${COLUMNS} from ${table} ${ORDER} limit 50`;
    if (query === "count") return `select count(*)::int as n from ${table}`;
    return `select ${COLUMNS} from ${table} where id = $1`;
  }
  const scope = role === "admin" ? "org_id = $1" : `org_id = $1 and project_id in (${GRANTED})`;
  if (query === "newest 50") return `select ${COLUMNS} from public.documents where ${scope} ${ORDER} limit 50`;
  if (query === "count") return `select count(*)::int as n from public.documents where ${scope}`;
  return `select ${COLUMNS} from public.documents where ${scope} and id = $${role === "admin" ? 2 : 3}`;
}

// The naive policy: the shipped select policies of public.documents (org, key scope, grants, support) in one
// permissive policy, every helper called directly, so per row, as policies are often first written.
const NAIVE_SQL = `
create schema bench_naive;
create table bench_naive.documents (like public.documents including defaults including constraints including indexes);
insert into bench_naive.documents select * from public.documents;
alter table bench_naive.documents enable row level security;
alter table bench_naive.documents force row level security;
create policy naive_select on bench_naive.documents for select to authenticated using (
  org_id = private.org_id()
  and (private.scoped_project_id() is null or project_id = private.scoped_project_id())
  and (private.project_floor() >= 1 or project_id = any (private.granted_project_ids(1)))
  and private.support_allows_read()
);
grant usage on schema bench_naive to authenticated;
grant select on bench_naive.documents to authenticated;
vacuum (analyze) bench_naive.documents;`;

/** A script in one message, then its VACUUM lines on their own (VACUUM cannot run inside the message's transaction). */
async function runScript(owner: { exec(sql: string): Promise<void> }, sql: string): Promise<void> {
  const vacuums = sql.split("\n").filter((line) => /^vacuum /.test(line));
  await owner.exec(sql.split("\n").filter((line) => !/^vacuum /.test(line)).join("\n"));
  for (const v of vacuums) await owner.exec(v);
}

async function main(): Promise<number> {
  const db = await benchDatabase(DATABASE, KEEP);
  // lib/db reads these when first imported: the app's engine against the benchmark's own database.
  process.env.DATABASE_URL = db.runtimeUrl;
  process.env.MIGRATION_DATABASE_URL = db.ownerUrl;
  process.env.LOG_LEVEL ??= "warn";
  process.env.DB_POOL_MAX ??= String(IN_FLIGHT);
  const { closeDb, migrate, ownerDb, withTenant } = await import("@/lib/db");
  const { openPostgres } = await import("@/lib/db/engine");
  const { markVerified } = await import("@/lib/auth/claims");

  const owner = await ownerDb();
  const limitPool = openPostgres(db.ownerUrl, IN_FLIGHT);
  try {
    await migrate(owner);
    const [seeded] = await owner.query<{ n: number }>("select count(*)::int as n from public.documents");
    if (!db.reused || seeded!.n !== DOCS) {
      if (db.reused) throw new Error(`${DATABASE} holds ${seeded!.n} documents, not ${DOCS}: drop it or unset BENCH_KEEP_DB`);
      console.log(`Seeding ${DOCS.toLocaleString("en-GB")} documents over ${ORGS.toLocaleString("en-GB")} orgs into ${DATABASE}…`);
      const started = Date.now();
      const seed = readFileSync(path.join(import.meta.dirname, "bench", "rls-seed.sql"), "utf8").replaceAll(":orgs", String(ORGS)).replaceAll(":docs", String(DOCS));
      await runScript(owner, seed);
      console.log(`Seeded in ${((Date.now() - started) / 1000).toFixed(1)} s; copying them for the naive policy…`);
      await runScript(owner, NAIVE_SQL);
    }

    // Callers: every org's admin and member; each operation picks the next org, the same sequence for every path.
    const claimsOf = (role: Role, org: number) =>
      markVerified({ sub: `user_rls${role}${org}`, sid: "sess_bench", iss: "bench", azp: "bench", exp: 0, nbf: 0, iat: 0, o: { id: `org_rls${org}`, rol: role } });
    const callers = { admin: [] as ReturnType<typeof claimsOf>[], member: [] as ReturnType<typeof claimsOf>[] };
    for (let o = 1; o <= ORGS; o++) for (const role of ROLES) callers[role].push(claimsOf(role, o));
    const floorPreambles = { admin: [] as string[][], member: [] as string[][] };
    for (const role of ROLES) {
      for (const claims of callers[role]) {
        floorPreambles[role].push([`select set_config('request.jwt.claims', ${escapeLiteral(JSON.stringify(claims))}, true) as claims, set_config('statement_timeout', '10s', true) as statement_timeout`]);
      }
    }
    // A document each caller may read, per org: the newest of the member's first granted project (project 1).
    const docIds = (await owner.query<{ org_id: string; id: string }>(
      `select distinct on (org_id) org_id, id from public.documents where project_id = md5('rls-project-' || substr(org_id, 8) || '-1')::uuid order by org_id, created_at desc`,
    )).reduce((m, r) => m.set(r.org_id, r.id), new Map<string, string>());

    const run = (path: PathName, role: Role, query: Query, org: number): Promise<unknown[]> => {
      const sql = statement(path, role, query);
      const orgId = `org_rls${org}`;
      const docId = docIds.get(orgId)!;
      if (path === "limit" || path === "floor") {
        const params: unknown[] = role === "admin" ? [orgId] : [orgId, `user_rlsmember${org}`];
        if (query === "by id") params.push(docId);
        if (path === "limit") return limitPool.query(sql, params);
        // The limit's statement inside the transaction shape withTenant sends (BEGIN READ ONLY, the claims and the
        // time limit, the statement, COMMIT: one message) as the owner: the mandated transaction's own cost.
        return limitPool.transaction((tx) => tx.query(sql, params), floorPreambles[role][org - 1], { singleStatement: true });
      }
      return withTenant(callers[role][org - 1]!, (tx) => tx.query(sql, query === "by id" ? [docId] : []), { singleStatement: true });
    };

    // Every path answers the same for a few orgs, or the comparison means nothing.
    for (const org of [1, Math.ceil(ORGS / 2), ORGS]) {
      for (const role of ROLES) {
        for (const query of QUERIES) {
          const answers = await Promise.all(PATHS.map((p) => run(p, role, query, org).then((rows) => JSON.stringify(rows))));
          if (new Set(answers).size !== 1 || answers[0] === "[]") {
            throw new Error(`paths disagree (or see nothing) for ${role} / ${query} in org ${org}: ${answers.map((a) => a.length).join(", ")} bytes`);
          }
        }
      }
    }
    console.log("Every path returns the same rows for the sampled callers (admin: the org's 1,000; member: its 5 granted projects' 100).");

    if (process.env.BENCH_RLS_EXPLAIN === "1") {
      for (const role of ROLES) {
        for (const query of QUERIES) {
          const org = Math.ceil(ORGS / 3);
          const rows = await withTenant(callers[role][org - 1]!, (tx) =>
            tx.query<{ "QUERY PLAN": string }>(`explain (analyze, buffers, costs off) ${statement("shipped", role, query)}`, query === "by id" ? [docIds.get(`org_rls${org}`)] : []),
          );
          console.log(`\n-- ${role}, ${query}: ${statement("shipped", role, query)}\n${rows.map((r) => r["QUERY PLAN"]).join("\n")}`);
        }
      }
    }

    let cursor = 0;
    /** ms per query of one path: IN_FLIGHT loops for SECONDS, each op the next org in a shared sequence. */
    const measure = async (path: PathName, role: Role, query: Query, seconds: number, start: number): Promise<number> => {
      let ops = 0;
      cursor = start;
      const until = performance.now() + seconds * 1000;
      const began = performance.now();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (performance.now() < until) {
            await run(path, role, query, 1 + (cursor++ % ORGS));
            ops++;
          }
        }),
      );
      return (performance.now() - began) / ops;
    };

    const figures: FigureInput[] = [];
    const lines: string[] = [];
    for (const role of ROLES) {
      for (const query of QUERIES) {
        for (const p of PATHS) await measure(p, role, query, Math.min(1, SECONDS), 0); // warm-up: plans, connections, cache
        const times: Record<PathName, number[]> = { shipped: [], limit: [], naive: [], floor: [] };
        for (let r = 0; r < ROUNDS; r++) {
          const start = Math.floor(Math.random() * ORGS);
          for (const p of roundOrder(PATHS, r)) times[p].push(await measure(p, role, query, SECONDS, start));
        }
        const ratio = pairedRatio(times.shipped, times.limit);
        const naiveRatio = pairedRatio(times.naive, times.limit);
        const floorRatio = pairedRatio(times.floor, times.limit);
        const ms = (p: PathName) => median(times[p]);
        lines.push(`| ${role} | ${query} | ${ms("limit").toFixed(3)} | ${ms("shipped").toFixed(3)} | ${ms("naive").toFixed(3)} | ${ms("floor").toFixed(3)} | ${ratio.toFixed(2)}x | ${floorRatio.toFixed(2)}x | ${naiveRatio.toFixed(1)}x |`);
        figures.push(
          { name: `${role}, ${query}: shipped / limit`, value: ratio, unit: "x", target: { op: "<=", value: TARGET_RATIO } },
          { name: `${role}, ${query}: shipped`, value: ms("shipped"), unit: "ms/query" },
          { name: `${role}, ${query}: limit`, value: ms("limit"), unit: "ms/query" },
          { name: `${role}, ${query}: naive / limit`, value: naiveRatio, unit: "x", note: "anti-pattern, contrast" },
          { name: `${role}, ${query}: floor / limit`, value: floorRatio, unit: "x", note: "diagnostic: the transaction alone" },
        );
      }
    }
    console.log(`\nbench:rls — PostgreSQL, ${DOCS.toLocaleString("en-GB")} documents over ${ORGS.toLocaleString("en-GB")} orgs × 50 projects; ${ROUNDS} paired rounds of ${SECONDS} s per path, ${IN_FLIGHT} in flight; medians`);
    console.log("| caller | query | limit ms | shipped ms | naive ms | floor ms | shipped / limit | floor / limit | naive / limit |");
    console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const line of lines) console.log(line);
    await recordFigures("rls", figures);
    return 0;
  } finally {
    await limitPool.close().catch(() => {});
    await closeDb().catch(() => {});
    await db.drop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench-rls: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
