import "server-only";
import { withWebhookService } from "@/lib/db";
import { env } from "@/lib/env";
import { clerkAdapter } from "./providers/clerk";
import { stripeAdapter } from "./providers/stripe";
import { muxAdapter } from "./providers/mux";
import { nylasAdapter, nylasChallenge } from "./providers/nylas";
import { dubAdapter } from "./providers/dub";
import { replayStoredEvent, type AdapterRegistry, type ProcessOutcome } from "./kernel";

export { WEBHOOK_PROVIDERS, type WebhookProvider, type WebhookAdapter, type EventHandler, type EffectContext, type RejectionReason } from "./types";
export { processEvent, webhookRoute, sanitisedError, type ProcessOutcome } from "./kernel";
export { nylasChallenge };

/** Every provider's adapter (WH-1): /api/webhooks/<provider> is `webhookRoute(WEBHOOK_ADAPTERS[provider])`. */
export const WEBHOOK_ADAPTERS: AdapterRegistry = { clerk: clerkAdapter, stripe: stripeAdapter, mux: muxAdapter, nylas: nylasAdapter, dub: dubAdapter };

/** Re-runs a failed delivery from its stored, verified payload (callers check the admin's right to it first). */
export function replayWebhookRow(rowId: string): Promise<ProcessOutcome | null> {
  return replayStoredEvent(WEBHOOK_ADAPTERS, rowId);
}

const DAY_MS = 86_400_000;

/**
 * WH-2 retention: removes deliveries received before `olderThan` (default WEBHOOK_RETENTION_DAYS ago). The database
 * refuses anything under 4 days, longer than every provider retries (Stripe 3 days, Svix about 75 hours), so a
 * retried delivery always still finds its row. Returns how many were removed.
 */
export async function pruneWebhookEvents(olderThan: Date = new Date(Date.now() - env.WEBHOOK_RETENTION_DAYS * DAY_MS)): Promise<number> {
  const seconds = Math.floor((Date.now() - olderThan.getTime()) / 1000);
  const [row] = await withWebhookService((tx) => tx.query<{ removed: string }>("select private.prune_webhook_events(make_interval(secs => $1)) as removed", [seconds]));
  return Number(row?.removed ?? 0);
}
