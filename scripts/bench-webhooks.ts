// `npm run bench:webhooks` (= tsx --conditions=react-server scripts/bench-webhooks.ts): what the webhook receiver
// (lib/webhooks, Stripe's adapter) sustains on PostgreSQL, beside a bare handler on the same database.
//
// A benchmark, not a test: it exits 0 once it has measured (non-zero only if it could not run at all). In one run,
// in one process, against one database, the route handler functions called in-process (no HTTP server):
//   route   POST /api/webhooks/stripe (app/api/webhooks/stripe/route.ts): the raw body read, Stripe's signature
//           verified (stripe.webhooks.constructEvent), the envelope and the event's schema (Zod), the (provider,
//           event id) row claimed, the org resolved from our records and entered, the effect (invoice.paid:
//           private.record_invoice, one new invoice row) and its audit entry (hash-chained), the processed mark, in
//           one transaction as webhook_service; each event a new invoice of one of BENCH_WEBHOOK_ORGS orgs.
//   bare    a handler that reads the body, JSON.parse-s it and inserts one row into a plain table (owner, autocommit,
//           no RLS, no signature): the least a stored webhook can cost.
// Both get the same Requests (built per event, signed beforehand with Stripe's generateTestHeaderString), at 8 and
// at 16 in flight. The ratio published is route events/s over bare events/s at the same concurrency.
// Settings (environment): BENCH_EVENTS=2000 per measurement, BENCH_WEBHOOK_ORGS=64. PostgreSQL only: DATABASE_URL
// (runtime role) and MIGRATION_DATABASE_URL (owner). With the embedded database it says so and exits 0.
import { randomBytes } from "node:crypto";
import os from "node:os";
import Stripe from "stripe";
import { QUICK, recordFigures, type FigureInput } from "./bench/results";

const SECRET = `whsec_${randomBytes(24).toString("hex")}`;
process.env.STRIPE_WEBHOOK_SECRET = SECRET;
process.env.DB_POOL_MAX ??= "20";
process.env.LOG_LEVEL ??= "warn";

const EVENTS = Number(process.env.BENCH_EVENTS ?? (QUICK ? 300 : 2_000));
const ORGS = Number(process.env.BENCH_WEBHOOK_ORGS ?? 64);
const CONCURRENCY = [8, 16];

async function main() {
  if (!process.env.DATABASE_URL || !process.env.MIGRATION_DATABASE_URL) {
    console.log("bench:webhooks measures PostgreSQL: set DATABASE_URL and MIGRATION_DATABASE_URL. Skipped.");
    return;
  }
  if (!Number.isInteger(EVENTS) || EVENTS < 10) throw new Error("BENCH_EVENTS must be an integer of at least 10");
  if (!Number.isInteger(ORGS) || ORGS < 1) throw new Error("BENCH_WEBHOOK_ORGS must be a positive integer");
  const { closeDb, migrate, ownerDb } = await import("@/lib/db");
  const { POST } = await import("@/app/api/webhooks/stripe/route");

  const owner = await ownerDb();
  await migrate(owner);
  const suffix = randomBytes(6).toString("hex");
  const customers: { orgId: string; customer: string }[] = [];
  for (let i = 0; i < ORGS; i++) {
    const orgId = `org_benchwh${suffix}${i}`;
    const customer = `cus_benchwh${suffix}${i}`;
    await owner.query("insert into public.organizations (id, name, slug) values ($1, 'Bench webhooks', $2)", [orgId, `bench-wh-${suffix}-${i}`]);
    await owner.query("insert into public.billing_customers (org_id, stripe_customer_id, created_by) values ($1, $2, 'bench')", [orgId, customer]);
    customers.push({ orgId, customer });
  }
  const scratch = `bench_webhooks_${suffix}`;
  await owner.exec(`create schema ${scratch}; create table ${scratch}.events (id bigint generated always as identity primary key, event_id text not null, payload jsonb not null)`);

  let serial = 0;
  /** A signed invoice.paid delivery: a new invoice of the next org, as Stripe sends it. */
  const delivery = () => {
    const n = serial++;
    const { customer } = customers[n % customers.length]!;
    const id = `evt_bench${suffix}${n}`;
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      id,
      object: "event",
      api_version: "2025-01-27.acacia",
      type: "invoice.paid",
      created: now,
      livemode: false,
      data: {
        object: {
          id: `in_bench${suffix}${n}`,
          object: "invoice",
          customer,
          status: "paid",
          number: `B-${n}`,
          amount_due: 4900,
          amount_paid: 4900,
          currency: "eur",
          hosted_invoice_url: "https://invoice.stripe.com/i/bench",
          period_start: now - 2_592_000,
          period_end: now,
        },
      },
    });
    return { body, signature: Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: now }) };
  };
  const toRequest = (d: { body: string; signature: string }) =>
    new Request("http://localhost:3000/api/webhooks/stripe", { method: "POST", headers: { "content-type": "application/json", "stripe-signature": d.signature }, body: d.body });

  const bare = async (request: Request) => {
    const event = JSON.parse(await request.text()) as { id: string };
    await owner.query(`insert into ${scratch}.events (event_id, payload) values ($1, $2::jsonb)`, [event.id, JSON.stringify(event)]);
    return new Response(null, { status: 200 });
  };

  /** n deliveries through `handler`, `parallel` in flight; returns events per second. */
  const timed = async (parallel: number, n: number, handler: (request: Request) => Promise<Response>) => {
    const signed = Array.from({ length: n }, delivery);
    let next = 0;
    let failed = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        for (let i = next++; i < n; i = next++) {
          const response = await handler(toRequest(signed[i]!));
          if (response.status !== 200) failed++;
          else await response.body?.cancel();
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (failed > 0) throw new Error(`${failed} of ${n} deliveries were not answered 200`);
    return n / seconds;
  };

  const results: Record<string, number> = {};
  try {
    // Warm-up: connections, prepared plans, JIT of both paths.
    await timed(8, 200, POST);
    await timed(8, 200, bare);
    for (const parallel of CONCURRENCY) {
      // Alternating which goes first, so neither always runs on a warmer (or busier) machine.
      const order: [string, (request: Request) => Promise<Response>][] = [
        ["route", POST],
        ["bare", bare],
      ];
      for (const [name, handler] of parallel === CONCURRENCY[0] ? order : [...order].reverse()) results[`${name}_${parallel}`] = await timed(parallel, EVENTS, handler);
    }
    const [processed] = await owner.query<{ n: string }>("select count(*)::text as n from public.webhook_events where provider = 'stripe' and event_id like $1 and status = 'processed'", [
      `evt_bench${suffix}%`,
    ]);
    const [invoices] = await owner.query<{ n: string }>("select count(*)::text as n from public.invoices where stripe_invoice_id like $1", [`in_bench${suffix}%`]);
    results.processed = Number(processed!.n);
    results.invoices = Number(invoices!.n);
  } finally {
    await owner.exec(`drop schema if exists ${scratch} cascade`);
    await owner.query("delete from public.webhook_events where provider = 'stripe' and event_id like $1", [`evt_bench${suffix}%`]);
    await closeDb();
  }

  const f = (x: number) => x.toFixed(0);
  console.log(`\nbench:webhooks — PostgreSQL, ${EVENTS} Stripe invoice.paid events per measurement over ${ORGS} orgs, in-process route handler`);
  console.log(`${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}\n`);
  console.log("| in flight | route events/s | bare events/s | route / bare |");
  console.log("|---|---|---|---|");
  for (const p of CONCURRENCY) console.log(`| ${p} | ${f(results[`route_${p}`]!)} | ${f(results[`bare_${p}`]!)} | ${(results[`route_${p}`]! / results[`bare_${p}`]!).toFixed(2)} |`);
  console.log(`\nprocessed events: ${results.processed}, invoice rows: ${results.invoices} (each processed event stored one invoice)`);
  const figures: FigureInput[] = [];
  for (const p of CONCURRENCY) {
    figures.push(
      { name: `route, ${p} in flight`, value: results[`route_${p}`]!, unit: "events/s", target: { op: ">=", value: 1_000 } },
      { name: `route / bare, ${p} in flight`, value: results[`route_${p}`]! / results[`bare_${p}`]!, unit: "ratio", target: { op: ">=", value: 0.8 } },
    );
  }
  await recordFigures("webhooks", figures);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
