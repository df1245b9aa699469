import { family } from "../types";

export const WH = family("WH", [
  {
    id: "WH-1",
    title: "Provider signatures verified on the raw body",
    description:
      "Every provider webhook is verified with that provider's own mechanism before its body is parsed: Clerk through Svix, Stripe through `constructEvent`, Mux by its signature header, Nylas by HMAC-SHA256 compared in constant time, Dub by its signature. Timestamps are held to a tolerance in both directions, so replays are refused.",
    status: "planned",
    issue: 14,
    implementation: [],
    evidence: [],
  },
  {
    id: "WH-2",
    title: "Exactly-once effects",
    description:
      "Every delivery is recorded in one `webhook_events` table, unique on provider and event id, and the event's effect commits in the same transaction as its processed mark: duplicates, concurrent duplicates and a crash between effect and mark all end with exactly one effect.",
    status: "planned",
    issue: 14,
    implementation: [],
    evidence: [],
  },
  {
    id: "WH-3",
    title: "Failures retried, order respected",
    description:
      "A delivery that fails to process is answered with a non-2xx status so the provider retries it, and an event that arrives out of order never overwrites newer state.",
    status: "planned",
    issue: 14,
    implementation: [],
    evidence: [],
  },
]);
