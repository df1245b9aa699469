import "server-only";
import { z } from "zod";
import type { Queryable } from "@/lib/db";
import { defineAction } from "@/lib/actions/pipeline";
import type { Session } from "@/lib/auth/claims";
import type { RequestContext } from "@/lib/http/request-context";
import { AppError } from "@/lib/errors";
import { WEBHOOK_PROVIDERS, type WebhookProvider } from "./types";
import { replayWebhookRow, type ProcessOutcome } from "./index";

export interface WebhookLogEntry {
  id: string;
  provider: WebhookProvider;
  event_id: string;
  event_type: string;
  status: "received" | "processed" | "failed" | "ignored";
  attempts: number;
  last_error: string | null;
  note: string | null;
  received_at: Date;
  processed_at: Date | null;
}

/** The admin log: the org's most recent deliveries per provider (RLS: owners and admins of the org; no payload). */
export async function listWebhookEvents(tx: Queryable, perProvider = 25): Promise<Record<WebhookProvider, WebhookLogEntry[]>> {
  const rows = await tx.query<WebhookLogEntry>(
    `select w.id, w.provider, w.event_id, w.event_type, w.status, w.attempts, w.last_error, w.note, w.received_at, w.processed_at
       from unnest($1::text[]) as p(provider)
       cross join lateral (
         select e.id, e.provider, e.event_id, e.event_type, e.status, e.attempts, e.last_error, e.note, e.received_at, e.processed_at
           from public.webhook_events e
          where e.org_id = (select private.org_id()) and e.provider = p.provider
          order by e.received_at desc
          limit $2
       ) w
      order by w.received_at desc`,
    [WEBHOOK_PROVIDERS, perProvider],
  );
  const byProvider = Object.fromEntries(WEBHOOK_PROVIDERS.map((p) => [p, [] as WebhookLogEntry[]])) as Record<WebhookProvider, WebhookLogEntry[]>;
  for (const row of rows) byProvider[row.provider].push(row);
  return byProvider;
}

const replaySchema = z.object({ id: z.uuid("Choose a delivery to replay.") });

/** Authorises a replay: the delivery is the admin's org's and failed (RLS decides what the admin can see); audited. */
const authoriseReplay = defineAction({
  name: "webhooks.replay",
  schema: replaySchema,
  minimumRole: "admin",
  // IDN-5: replaying an integration's deliveries is integration management.
  secondFactor: "present",
  async run({ input, tx, audit }) {
    const [row] = await tx.query<{ id: string; provider: string; event_type: string }>(
      "select id, provider, event_type from public.webhook_events where id = $1 and status = 'failed'",
      [input.id],
    );
    if (!row) throw new AppError("not_found", "That delivery does not exist or is no longer failed.");
    await audit({ action: "webhook.replayed", targetType: "webhook_event", targetId: row.id, changes: { provider: row.provider, eventType: row.event_type } });
    return row;
  },
});

/**
 * The admin log's Replay: authorise (admin, own org, failed), then re-run processing from the stored, already
 * verified payload with the same exactly-once rules as a delivery.
 */
export async function replayWebhookEvent(session: Session | null, input: unknown, request: RequestContext) {
  const authorised = await authoriseReplay(session, input, request);
  if (!authorised.ok) return authorised;
  const outcome: ProcessOutcome | null = await replayWebhookRow(authorised.data.id);
  return { ok: true as const, data: { id: authorised.data.id, outcome: outcome ?? "duplicate" } };
}
