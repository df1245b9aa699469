import "server-only";
import { withWebhookService, type Queryable } from "@/lib/db";
import type { CheckResult } from "../live-checks";

interface WebhookHealth {
  rejected_24h: string;
  failed: string;
  stuck_received: string;
}

/** Counts only (private.webhook_health): no provider, org, event id or payload leaves the database. */
async function health(db?: Queryable): Promise<{ rejected: number; failed: number; stuck: number }> {
  const run = (tx: Queryable) => tx.query<WebhookHealth>("select * from private.webhook_health()");
  const [row] = db ? await run(db) : await withWebhookService(run);
  return { rejected: Number(row?.rejected_24h ?? 0), failed: Number(row?.failed ?? 0), stuck: Number(row?.stuck_received ?? 0) };
}

/** WH-1 / AUD-3: deliveries refused in the last 24 hours (informational: a provider misconfigured, or someone probing). */
export async function checkWebhookRejections(db?: Queryable): Promise<CheckResult> {
  const { rejected } = await health(db);
  if (rejected === 0) return { status: "pass", detail: "No webhook delivery was rejected in the last 24 hours." };
  return {
    status: "warn",
    detail: `${rejected} webhook deliver${rejected === 1 ? "y was" : "ies were"} rejected in the last 24 hours (bad or missing signatures, timestamps outside the tolerance, malformed requests). Check each provider's signing secret; the log has the reasons.`,
  };
}

/** WH-2 / WH-3: no delivery failed, or left received without its effect, for more than an hour. */
export async function checkWebhookBacklog(db?: Queryable): Promise<CheckResult> {
  const { failed, stuck } = await health(db);
  if (failed === 0 && stuck === 0) return { status: "pass", detail: "No webhook event has been failed or waiting for its effect for more than an hour." };
  return {
    status: "fail",
    detail: `${failed} webhook event(s) failed and ${stuck} received without being processed, for more than an hour. Replay them from Settings › Webhooks once the cause is fixed.`,
  };
}
