import "server-only";
import { z } from "zod";
import { env } from "@/lib/env";
import { verifyStripe } from "../signatures";
import { setProviderObjectStatus } from "./objects";
import type { EventHandler, WebhookAdapter } from "../types";

const envelope = z.object({
  id: z.string().regex(/^evt_[A-Za-z0-9_]{1,250}$/),
  object: z.literal("event"),
  type: z.string().regex(/^[a-z][a-z0-9_.]{1,127}$/),
  created: z.number().int().positive(),
});

const customerEvent = <T extends string>(type: T) =>
  z.object({
    type: z.literal(type),
    created: z.number().int().positive(),
    data: z.object({
      object: z.object({ id: z.string().regex(/^cus_[A-Za-z0-9]{1,250}$/), object: z.literal("customer"), delinquent: z.boolean().nullish() }),
    }),
  });

const customerUpdated = customerEvent("customer.updated");
const customerDeleted = customerEvent("customer.deleted");

/**
 * The Stripe customer we created for an org (provider_objects kind `customer`) follows its events: delinquent or
 * active, or deleted. Stripe does not guarantee order: the event's `created` time orders them (WH-3).
 */
const onCustomerUpdated: EventHandler<z.infer<typeof customerUpdated>> = {
  schema: customerUpdated,
  target: (e) => ({ kind: "customer", externalId: e.data.object.id }),
  apply: (tx, e, ctx) =>
    setProviderObjectStatus(tx, ctx, {
      provider: "stripe",
      kind: "customer",
      externalId: e.data.object.id,
      version: e.created * 1000,
      status: e.data.object.delinquent ? "delinquent" : "active",
      attributes: { delinquent: e.data.object.delinquent === true },
    }),
};

const onCustomerDeleted: EventHandler<z.infer<typeof customerDeleted>> = {
  schema: customerDeleted,
  target: (e) => ({ kind: "customer", externalId: e.data.object.id }),
  apply: (tx, e, ctx) =>
    setProviderObjectStatus(tx, ctx, { provider: "stripe", kind: "customer", externalId: e.data.object.id, version: e.created * 1000, status: "deleted" }),
};

export const stripeAdapter: WebhookAdapter<z.infer<typeof envelope>> = {
  provider: "stripe",
  secrets: () => env.STRIPE_WEBHOOK_SECRET,
  verify: verifyStripe,
  envelope,
  identify: (e) => ({ eventId: e.id, eventType: e.type }),
  handlers: { "customer.updated": onCustomerUpdated, "customer.deleted": onCustomerDeleted },
};
