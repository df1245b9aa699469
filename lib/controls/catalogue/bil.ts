import { evidence, family } from "../types";

const LIMITS = "tests/integration/billing-limits.test.ts";
const STATE = "tests/integration/billing-state.test.ts";
const STRIPE = "tests/integration/billing-stripe.test.ts";
const PAGE = "tests/integration/billing-page.test.ts";

export const BIL = family("BIL", [
  {
    id: "BIL-1",
    title: "Stripe-driven plans and limits",
    description:
      "Stripe subscriptions decide each organisation's plan and limits: checkout and the customer portal for owners, state changed only by verified webhooks, payments recorded idempotently, and plan limits enforced atomically in the database so concurrent creates never exceed them.",
    status: "partial",
    issue: 14,
    implementation: [
      "lib/billing/plans.ts",
      "lib/billing/limits.ts",
      "lib/billing/apply.ts",
      "lib/billing/stripe.ts",
      "lib/billing/checkout.ts",
      "lib/billing/live-check.ts",
      "supabase/migrations/20261202050000_billing.sql",
      "lib/projects/store.ts",
      "lib/api-keys/manage.ts",
      "lib/documents/pipeline.ts",
      "app/(dashboard)/settings/billing/page.tsx",
      "app/(dashboard)/settings/billing/actions.ts",
    ],
    evidence: [
      evidence(LIMITS, "the database's plan catalogue is lib/billing/plans.ts"),
      evidence(LIMITS, "20 concurrent project creates with 3 left: exactly 3 succeed"),
      evidence(LIMITS, "20 concurrent POST /api/v1/projects with 3 left: exactly 3 are 201, the rest 402 problem+json naming the limit"),
      evidence(LIMITS, "a delete releases its place"),
      evidence(LIMITS, "another org's counters are unaffected"),
      evidence(LIMITS, "API keys: at the limit the next key is refused with the limit named; revoking or deleting a key frees its place"),
      evidence(LIMITS, "a plan change raises the limit at once, and a cancelled subscription brings the free plan's back"),
      evidence(LIMITS, "members: a member's own JIT provisioning is counted but never refused"),
      evidence(LIMITS, "request roles cannot move a counter or write a plan"),
      evidence(LIMITS, "is the plan's storage_bytes, capped by ORG_STORAGE_QUOTA_BYTES"),
      evidence(LIMITS, "an upload past the plan's storage_bytes is 413 naming the plan's quota"),
      evidence(LIMITS, "fails naming the org when it is over its limit or a counter drifted"),
      evidence(STATE, "events delivered newest-first end in the newest state"),
      evidence(STATE, "refuses a customer that is not the org's own, and claims of another org"),
      evidence(STATE, "a principal granted only EXECUTE (as the webhook principal will be) can apply state"),
      evidence(STATE, "recording the same invoice twice (or 10 times at once) is one row"),
      evidence(STATE, "an invoice id recorded for one org is refused for another"),
      evidence(STRIPE, "an owner's checkout creates the org's customer once (idempotency key = org)"),
      evidence(STRIPE, "members and admins are refused before anything reaches Stripe"),
      evidence(STRIPE, "the database stores an org's Stripe customer only for its owner (RLS)"),
      evidence(STRIPE, "the portal opens for the org's stored customer"),
      evidence(STRIPE, "a clear message, nothing stored"),
      evidence(STRIPE, "without STRIPE_SECRET_KEY, billing is not configured"),
      evidence(PAGE, "shows the plan, usage against every limit as labelled progress bars, invoices"),
      evidence(PAGE, "at the plan's limit the create-project form answers the limit and keeps what was typed"),
      evidence(PAGE, "at the plan's key limit the create-key form answers the limit and keeps every field"),
      evidence(PAGE, "the dashboard's navigation links Billing for owners and admins"),
      evidence("tests/unit/billing-plans.test.ts", "STRIPE_API_URL (a stand-in for api.stripe.com) is refused in production"),
    ],
    limitations: [
      "Subscription state and invoices are written by private.apply_subscription_state and private.record_invoice (lib/billing/apply.ts), which are out-of-order safe and idempotent, but no verified Stripe webhook calls them yet: until the webhook receiver (lib/webhooks, issue 14) is wired to them, every organisation stays on the plan its subscription row says (none: Free).",
      "Ordering compares Stripe's event `created` time, which has one-second resolution: a second event for the same subscription in the same second as the stored one is not applied (the receiver should refetch the subscription from Stripe to settle such a tie).",
      "The members limit refuses additions made by the product (invitations) but not a member's own just-in-time provisioning, because the identity provider (Clerk) decides membership; an organisation can therefore exceed it, and the plan-limits live check reports that.",
      "Statements the database owner runs without claims (migrations, seeding, benchmarks) are counted but never refused.",
      "The Stripe SDK uses its own HTTP client (10 s timeout, one retry with its idempotency key), not lib/http/outbound.",
    ],
  },
  {
    id: "BIL-2",
    title: "Mux video per project",
    description:
      "Projects hold Mux videos uploaded directly to Mux, with status driven by Mux webhooks; playback is restricted to callers row-level security lets read the project, through short-lived signed playback tokens where a signing key is configured.",
    status: "planned",
    issue: 14,
    implementation: [],
    evidence: [],
  },
]);
