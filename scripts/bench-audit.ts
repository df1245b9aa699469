// `npm run bench:audit` (= tsx --conditions=react-server scripts/bench-audit.ts): what the audit writer (lib/audit/writer.ts)
// sustains on PostgreSQL, beside plain inserts of the same rows into an unchained table.
//
// A benchmark, not a test: it exits 0 once it has measured (non-zero only if it could not run at all, or if a chain is
// not linear afterwards). In one process, against one database:
//   chained  appendAudit in a tenant transaction of the org's admin (BEGIN + claims + role, the per-org advisory lock
//            and head read of private.audit_chain_head, SHA-256 over canonical JSON, the insert with its head trigger,
//            COMMIT): BENCH_AUDIT_ORGS orgs (10) with BENCH_AUDIT_WRITERS writers each (8) appending at once;
//   plain    the same rows, the same tenant transaction shape, inserted into a table with the same columns and no
//            chain, lock, trigger or hash: the limit of one audited write per transaction.
// BENCH_AUDIT_ENTRIES entries per measurement (default 4000). Reported: entries/s, p50 and p99 latency per append.
// Afterwards every org's chain is verified (lib/audit/verify.ts): linear, no gap, every hash right.
import { randomBytes } from "node:crypto";
import os from "node:os";
import { QUICK, recordFigures } from "./bench/results";
import { quantile } from "./bench/stats";

process.env.DB_POOL_MAX ??= "24";
process.env.LOG_LEVEL ??= "warn";

const ORGS = Number(process.env.BENCH_AUDIT_ORGS ?? 10);
const WRITERS = Number(process.env.BENCH_AUDIT_WRITERS ?? 8);
const ENTRIES = Number(process.env.BENCH_AUDIT_ENTRIES ?? (QUICK ? 800 : 4_000));

async function main() {
  if (!process.env.DATABASE_URL || !process.env.MIGRATION_DATABASE_URL) {
    console.log("bench:audit measures PostgreSQL: set DATABASE_URL and MIGRATION_DATABASE_URL. Skipped.");
    return;
  }
  for (const [name, v] of [["BENCH_AUDIT_ORGS", ORGS], ["BENCH_AUDIT_WRITERS", WRITERS], ["BENCH_AUDIT_ENTRIES", ENTRIES]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer`);
  }
  const { closeDb, migrate, ownerDb, withTenant, withEmbeddedIdp } = await import("@/lib/db");
  const { appendAudit } = await import("@/lib/audit/writer");
  const { verifyAuditChains } = await import("@/lib/audit/verify");
  const { issueSessionToken, newSessionId } = await import("@/lib/auth/embedded/tokens");
  const { resolveSession } = await import("@/lib/auth/session");

  const owner = await ownerDb();
  await migrate(owner);
  const suffix = randomBytes(6).toString("hex");
  const orgs: { orgId: string; claims: NonNullable<Awaited<ReturnType<typeof resolveSession>>>["claims"] }[] = [];
  for (let i = 0; i < ORGS; i++) {
    const orgId = `org_benchaud${suffix}${i}`;
    const userId = `user_benchaud${suffix}${i}`;
    await owner.query("insert into public.organizations (id, name, slug) values ($1, 'Bench audit', $2)", [orgId, `bench-aud-${suffix}-${i}`]);
    await owner.query("insert into public.users (id, email) values ($1, $2)", [userId, `${userId}@example.test`]);
    await owner.query("insert into public.memberships (org_id, user_id, role) values ($1, $2, 'admin')", [orgId, userId]);
    const sessionId = newSessionId();
    await withEmbeddedIdp((tx) => tx.query("select idp.start_session($1, $2, $3, $4, $5)", [sessionId, userId, new Date(Date.now() + 3_600_000).toISOString(), null, "bench"]));
    const { token } = await issueSessionToken({ userId, sessionId, org: { id: orgId, role: "admin", slug: `bench-aud-${suffix}-${i}` } });
    const session = await resolveSession(token);
    if (!session) throw new Error("bench sign-in failed");
    orgs.push({ orgId, claims: session.claims });
  }
  const scratch = `bench_audit_${suffix}`;
  await owner.exec(`create schema ${scratch};
    create table ${scratch}.plain (id bigint generated always as identity primary key, org_id text not null, actor_type text not null, actor_id text,
      action text not null, target_type text, target_id text, ip text, user_agent text, request_id text, changes jsonb not null, created_at timestamptz not null);
    grant usage on schema ${scratch} to authenticated;
    grant insert on ${scratch}.plain to authenticated;`);

  const entry = (orgId: string, n: number) => ({
    orgId,
    actorType: "system" as const,
    actorId: "bench",
    action: "bench.appended",
    targetType: "bench",
    targetId: String(n),
    ip: "203.0.113.9",
    userAgent: "bench-audit",
    requestId: `req-${suffix}-${n}`,
    changes: { n, name: { from: "a", to: "b" } },
  });
  const chained = (orgId: string, claims: (typeof orgs)[number]["claims"], n: number) => withTenant(claims, (tx) => appendAudit(tx, entry(orgId, n)));
  const plain = (orgId: string, claims: (typeof orgs)[number]["claims"], n: number) =>
    withTenant(claims, async (tx) => {
      const e = entry(orgId, n);
      await tx.query(
        `insert into ${scratch}.plain (org_id, actor_type, actor_id, action, target_type, target_id, ip, user_agent, request_id, changes, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11)`,
        [e.orgId, e.actorType, e.actorId, e.action, e.targetType, e.targetId, e.ip, e.userAgent, e.requestId, JSON.stringify(e.changes), new Date().toISOString()],
      );
    });

  /** `total` writes, WRITERS per org at once across every org; entries/s and latency percentiles (ms). */
  const timed = async (total: number, write: (orgId: string, claims: (typeof orgs)[number]["claims"], n: number) => Promise<unknown>) => {
    const perOrg = Math.ceil(total / ORGS);
    const latencies: number[] = [];
    const started = process.hrtime.bigint();
    await Promise.all(
      orgs.flatMap(({ orgId, claims }) => {
        let next = 0;
        return Array.from({ length: WRITERS }, async () => {
          for (let i = next++; i < perOrg; i = next++) {
            const t = process.hrtime.bigint();
            await write(orgId, claims, i);
            latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
          }
        });
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { perSecond: latencies.length / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), n: latencies.length };
  };

  let results: Record<string, { perSecond: number; p50: number; p99: number; n: number }> = {};
  let verification: { orgs: number; entries: number; broken: number } = { orgs: 0, entries: 0, broken: 0 };
  try {
    await timed(400, chained); // warm-up: connections, plans, JIT
    await timed(400, plain);
    const first = await timed(ENTRIES, plain);
    const chainedRun = await timed(ENTRIES, chained);
    const second = await timed(ENTRIES, plain);
    // Plain measured before and after the chained run; the better of the two is the limit.
    results = { chained: chainedRun, plain: first.perSecond >= second.perSecond ? first : second };
    let entries = 0;
    let broken = 0;
    for (const { orgId } of orgs) {
      const v = await verifyAuditChains(owner, orgId, { sinkRoot: null });
      entries += v.entries;
      broken += v.breaks.length;
    }
    verification = { orgs: orgs.length, entries, broken };
  } finally {
    await owner.exec(`drop schema if exists ${scratch} cascade`);
    await closeDb();
  }

  const f = (x: number, d = 0) => x.toFixed(d);
  console.log(`\nbench:audit — PostgreSQL, ${ORGS} orgs × ${WRITERS} concurrent writers, ${ENTRIES} entries per measurement`);
  console.log(`${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}\n`);
  console.log("| writes | entries/s | p50 ms | p99 ms |");
  console.log("|---|---|---|---|");
  for (const [name, r] of Object.entries(results)) console.log(`| ${name} | ${f(r.perSecond)} | ${f(r.p50, 1)} | ${f(r.p99, 1)} |`);
  console.log(`\nchained / plain: ${(results.chained!.perSecond / results.plain!.perSecond).toFixed(2)}`);
  console.log(`chains verified afterwards: ${verification.orgs} orgs, ${verification.entries} entries, ${verification.broken} broken`);
  await recordFigures("audit", [
    { name: `chained appends (${ORGS} orgs x ${WRITERS} writers)`, value: results.chained!.perSecond, unit: "entries/s", target: { op: ">=", value: 2_000 } },
    { name: "chained / plain", value: results.chained!.perSecond / results.plain!.perSecond, unit: "ratio", target: { op: ">=", value: 0.7 } },
    { name: "chained p99", value: results.chained!.p99, unit: "ms" },
    { name: "plain inserts", value: results.plain!.perSecond, unit: "entries/s" },
    { name: "broken chains afterwards", value: verification.broken, unit: "breaks", target: { op: "<=", value: 0 } },
  ]);
  if (verification.broken > 0 || verification.entries < results.chained!.n + 400) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
