import { family } from "../types";

export const BIL = family("BIL", [
  {
    id: "BIL-1",
    title: "Stripe-driven plans and limits",
    description:
      "Stripe subscriptions decide each organisation's plan and limits: checkout and the customer portal for owners, state changed only by verified webhooks, payments recorded idempotently, and plan limits enforced atomically in the database so concurrent creates never exceed them.",
    status: "planned",
    issue: 14,
    implementation: [],
    evidence: [],
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
