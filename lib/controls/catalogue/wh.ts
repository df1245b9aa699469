import { evidence, family } from "../types";

const SIGNATURES = "tests/integration/webhooks-signatures.test.ts";
const ONCE = "tests/integration/webhooks-exactly-once.test.ts";
const ADMIN = "tests/integration/webhooks-admin.test.ts";
const MIGRATION = "supabase/migrations/20261202040000_webhooks.sql";

export const WH = family("WH", [
  {
    id: "WH-1",
    title: "Provider signatures verified on the raw body",
    description:
      "Every provider webhook is verified with that provider's own mechanism before its body is parsed: Clerk through Svix, Stripe through `constructEvent`, Mux by its signature header, Nylas by HMAC-SHA256 compared in constant time, Dub by its signature. Timestamps are held to a tolerance in both directions, so replays are refused.",
    status: "implemented",
    implementation: [
      "lib/webhooks/signatures.ts",
      "lib/webhooks/kernel.ts",
      "lib/webhooks/raw-body.ts",
      "lib/webhooks/providers/clerk.ts",
      "lib/webhooks/providers/stripe.ts",
      "lib/webhooks/providers/mux.ts",
      "lib/webhooks/providers/nylas.ts",
      "lib/webhooks/providers/dub.ts",
      "lib/env.ts",
      "lib/controls/checks/webhooks.ts",
      MIGRATION,
    ],
    evidence: [
      evidence(SIGNATURES, "a valid delivery is processed: 200, one processed row, the effect applied in the linked org"),
      evidence(SIGNATURES, "is refused ($status, no body), counted, and nothing is stored"),
      evidence(SIGNATURES, "the second active secret verifies too (rotation)"),
      evidence(SIGNATURES, "within the tolerance on both sides"),
      evidence(SIGNATURES, "a body over WEBHOOK_MAX_BODY_BYTES is refused with 413 before verification"),
      evidence(SIGNATURES, "the same signed delivery a day later is a duplicate with no second effect"),
      evidence("tests/integration/webhooks-unconfigured.test.ts", "a provider without a signing secret has no endpoint (fail closed)"),
      evidence("tests/unit/webhooks-config.test.ts", "the timestamp window holds in both directions"),
      evidence("tests/unit/webhooks-config.test.ts", "reads comma- and whitespace-separated secret lists, every entry kept (rotation)"),
      evidence(ADMIN, "webhook-rejections passes with none in 24 hours and warns with the count once a delivery is rejected"),
    ],
    limitations: [
      "Nylas and Dub sign no timestamp: a captured delivery can only be replayed as a duplicate of its stored event (the webhook_events table, kept WEBHOOK_RETENTION_DAYS), never applied twice.",
      "The tolerance is at most 300 s: the Svix and Mux libraries refuse older signatures themselves.",
    ],
  },
  {
    id: "WH-2",
    title: "Exactly-once effects",
    description:
      "Every delivery is recorded in one `webhook_events` table, unique on provider and event id, and the event's effect commits in the same transaction as its processed mark: duplicates, concurrent duplicates and a crash between effect and mark all end with exactly one effect.",
    status: "implemented",
    implementation: ["lib/webhooks/kernel.ts", "lib/webhooks/index.ts", "lib/webhooks/schedule.ts", "lib/db/index.ts", MIGRATION],
    evidence: [
      evidence(ONCE, "50 concurrent deliveries of one event: one effect, one processed row, every delivery answered 200"),
      evidence(ONCE, "a duplicate of a processed event is answered 200 and its effect does not run again"),
      evidence(ONCE, "a fault after the effect and before commit rolls both back (500, failed); the provider's retry applies it once"),
      evidence(ONCE, "inside an event's transaction the effect sees and changes only that org's rows, and cannot widen its scope"),
      evidence(ONCE, "webhook_service reads no table directly and cannot write its own scope"),
      evidence(SIGNATURES, "an event about an object our records do not link to any org changes nothing"),
      evidence(ONCE, "removes deliveries older than the retention, keeps newer ones, and refuses a retention under every provider's retry horizon"),
      evidence(ONCE, "the webhooks.prune task is registered for the workers and, once due, removes deliveries past the retention under its lease"),
      evidence(ADMIN, "admins see their own org's deliveries per provider, members and other orgs see none, and nobody reads a payload"),
      evidence("tests/e2e/settings-pages.e2e.ts", "webhook log: a Clerk delivery that fails (it would remove Acme's last owner) is listed as failed for admins"),
    ],
  },
  {
    id: "WH-3",
    title: "Failures retried, order respected",
    description:
      "A delivery that fails to process is answered with a non-2xx status so the provider retries it, and an event that arrives out of order never overwrites newer state.",
    status: "implemented",
    implementation: ["lib/webhooks/kernel.ts", "lib/webhooks/log.ts", "app/(dashboard)/settings/webhooks/page.tsx", "app/(dashboard)/settings/webhooks/actions.ts", "lib/controls/checks/webhooks.ts", MIGRATION],
    evidence: [
      evidence(ONCE, "a fault after the effect and before commit rolls both back (500, failed)"),
      evidence(ONCE, "Stripe events delivered newest first end in the newest state; the older one is ignored as superseded"),
      evidence(ONCE, "Clerk organisation renames delivered out of order leave the newest name"),
      evidence("tests/integration/webhooks-stripe-billing.test.ts", "newest-first delivery ends in the newest state"),
      evidence("tests/integration/webhooks-mux-video.test.ts", "an older event after a newer one changes nothing"),
      evidence(ONCE, "a failed row is replayed from its stored payload: processed once, and a second replay does nothing"),
      evidence(ADMIN, "Replay re-runs a failed delivery from its stored payload for an admin of its org only, and audits it"),
      evidence(ADMIN, "webhook-backlog fails on an event failed or left received for over an hour, and passes on recent ones"),
      evidence("tests/e2e/settings-pages.e2e.ts", "Replay fails again and says so; members are told it is for admins"),
    ],
  },
]);
