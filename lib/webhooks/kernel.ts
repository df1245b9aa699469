import "server-only";
import { env } from "@/lib/env";
import { withWebhookService, type Queryable } from "@/lib/db";
import { logger } from "@/lib/observability/logger";
import { recordWebhook } from "@/lib/observability/metrics";
import { clientAddressFrom } from "@/lib/http/client-address";
import { REQUEST_ID_HEADER, acceptRequestId } from "@/lib/http/request-id";
import { appendAudit } from "@/lib/audit/writer";
import { noteSecurityEvent } from "@/lib/audit/alerts";
import { SECURITY_EVENT } from "@/lib/audit/events";
import { PayloadTooLargeError, readRawBody } from "./raw-body";
import type { EffectContext, EventHandler, RejectionReason, WebhookAdapter, WebhookProvider } from "./types";

/**
 * lib/webhooks: one receiver kernel, thin provider adapters.
 *   raw body (size-limited) -> provider signature (WH-1) -> Zod envelope -> claim the (provider, event id) row ->
 *   the org our records link the event to -> effect under RLS as webhook_service in that org -> processed mark,
 *   the effect and the mark in ONE transaction (WH-2); a failure rolls both back, is recorded as failed and
 *   answered 500 so the provider retries (WH-3).
 */

export type ProcessOutcome = "processed" | "duplicate" | "ignored" | "failed" | "invalid";

const STATUS_OF_REJECTION: Record<RejectionReason, number> = {
  missing_headers: 400,
  malformed_headers: 400,
  malformed_body: 400,
  invalid_payload: 400,
  bad_signature: 401,
  stale_timestamp: 401,
  future_timestamp: 401,
  body_too_large: 413,
};

// A refusal says nothing: no reason, no body (WH-1). `Cache-Control: no-store` like every API answer.
const empty = (status: number) => new Response(null, { status, headers: { "cache-control": "no-store" } });
const answer = (status: number, outcome: ProcessOutcome) =>
  Response.json({ status: outcome }, { status, headers: { "cache-control": "no-store" } });

/** The error as stored and logged: its kind and SQLSTATE only (messages can carry values, SQL or paths). */
export function sanitisedError(error: unknown): string {
  const name = error instanceof Error ? error.name : "error";
  const code = error && typeof error === "object" && typeof (error as { code?: unknown }).code === "string" ? (error as { code: string }).code : null;
  const safeName = /^[A-Za-z][A-Za-z0-9_]{0,60}$/.test(name) ? name : "error";
  return code && /^[0-9A-Z]{5}$/.test(code) ? `${safeName} (SQLSTATE ${code})` : safeName;
}

/** AUD-3 / WH-1: a refused delivery is counted and recorded (provider, reason, address, request id), never its payload. */
async function recordRejection(provider: WebhookProvider, reason: RejectionReason, request: Request): Promise<void> {
  const ip = clientAddressFrom(request.headers);
  const requestId = acceptRequestId(request.headers.get(REQUEST_ID_HEADER));
  recordWebhook(provider, "rejected");
  void noteSecurityEvent(SECURITY_EVENT.webhookRejected, { subject: ip ?? "unknown", requestId, details: { provider, reason } });
  logger.warn({ scope: "webhooks", event: SECURITY_EVENT.webhookRejected, provider, reason, ip, requestId }, "webhook delivery rejected");
  try {
    await withWebhookService((tx) => tx.query("select private.record_webhook_rejection($1, $2, $3, $4)", [provider, reason, ip, requestId]));
  } catch (error) {
    logger.error({ scope: "webhooks", err: sanitisedError(error), provider, requestId }, "webhook rejection not recorded");
  }
}

interface ClaimedRow {
  id: string;
  status: string;
  attempts: number;
}

function effectContext(tx: Queryable, provider: WebhookProvider, eventId: string, orgId: string): EffectContext {
  return {
    provider,
    eventId,
    orgId,
    async advanceVersion(objectType, objectId, version) {
      if (!Number.isSafeInteger(version)) throw new TypeError("advanceVersion: the version must be an integer");
      const [row] = await tx.query<{ applied: boolean }>("select private.webhook_advance_version($1, $2, $3) as applied", [objectType, objectId, version]);
      return row?.applied === true;
    },
    async audit(entry) {
      await appendAudit(tx, { orgId, actorType: "webhook", actorId: provider, action: entry.action, targetType: entry.targetType, targetId: entry.targetId, changes: { ...entry.changes, event: eventId } });
    },
  };
}

/** Within the claimed row's transaction: resolve the org from our records, apply, mark. */
async function applyClaimed(tx: Queryable, provider: WebhookProvider, eventId: string, rowId: string, handler: EventHandler<unknown>, payload: unknown): Promise<ProcessOutcome> {
  if (handler.applyOutsideOrg) {
    const outcome = await handler.applyOutsideOrg(tx, payload, { provider, eventId, rowId });
    await tx.query("select private.webhook_finish($1, $2, $3)", [rowId, outcome.applied ? "processed" : "ignored", outcome.applied ? null : outcome.note]);
    return outcome.applied ? "processed" : "ignored";
  }
  const target = handler.target(payload);
  const [entered] = await tx.query<{ org_id: string | null }>("select private.webhook_enter_org($1, $2, $3) as org_id", [rowId, target.kind, target.externalId]);
  if (!entered?.org_id) {
    await tx.query("select private.webhook_finish($1, 'ignored', $2)", [rowId, "no local record of this object"]);
    return "ignored";
  }
  return applyInOrg(tx, provider, eventId, rowId, handler, payload, entered.org_id);
}

/** The effect in the org the transaction entered, then the mark. */
async function applyInOrg(tx: Queryable, provider: WebhookProvider, eventId: string, rowId: string, handler: EventHandler<unknown>, payload: unknown, orgId: string): Promise<ProcessOutcome> {
  const outcome = await handler.apply(tx, payload, effectContext(tx, provider, eventId, orgId));
  if (outcome.applied) {
    await tx.query("select private.webhook_finish($1, 'processed', null)", [rowId]);
    return "processed";
  }
  await tx.query("select private.webhook_finish($1, 'ignored', $2)", [rowId, outcome.note]);
  return "ignored";
}

interface FailedEvent {
  eventId: string;
  eventType: string;
  payload: unknown;
  /** The object the event is about (resolved to its org from our records when the failure is stored). */
  target: { kind: string; externalId: string } | null;
}

async function recordFailure(provider: WebhookProvider, event: FailedEvent, error: unknown) {
  const message = sanitisedError(error);
  logger.error({ scope: "webhooks", provider, eventId: event.eventId, eventType: event.eventType, err: message }, "webhook event failed");
  try {
    await withWebhookService((tx) =>
      tx.query("select private.webhook_fail($1, $2, $3, $4::jsonb, $5, $6, $7)", [
        provider,
        event.eventId,
        event.eventType,
        JSON.stringify(event.payload),
        event.target?.kind ?? null,
        event.target?.externalId ?? null,
        message,
      ]),
    );
  } catch (failError) {
    // The provider retries (500); the row is written then.
    logger.error({ scope: "webhooks", provider, eventId: event.eventId, err: sanitisedError(failError) }, "webhook failure not recorded");
  }
}

/**
 * WH-2: processes one verified event exactly once. A row already processed or ignored is a duplicate (nothing runs);
 * concurrent deliveries of one event queue on its row lock, and the first one's commit decides for the rest.
 */
export async function processEvent(adapter: WebhookAdapter, event: { eventId: string; eventType: string; payload: unknown }): Promise<ProcessOutcome> {
  const { provider } = adapter;
  const handler = Object.hasOwn(adapter.handlers, event.eventType) ? adapter.handlers[event.eventType] : undefined;
  if (!handler) {
    // Allow-list: a verified event of a type we do not handle is stored (dedup, the log) and answered 200, without its
    // payload: it is never replayed, and what we do not use we do not keep (Clerk's user events carry emails).
    try {
      return await withWebhookService(async (tx) => {
        const [row] = await tx.query<ClaimedRow>("select * from private.webhook_claim($1, $2, $3, '{}'::jsonb, null)", [provider, event.eventId, event.eventType]);
        if (row!.status === "processed" || row!.status === "ignored") return "duplicate";
        await tx.query("select private.webhook_finish($1, 'ignored', $2)", [row!.id, "event type not handled"]);
        return "ignored";
      });
    } catch (error) {
      await recordFailure(provider, { ...event, payload: {}, target: null }, error);
      return "failed";
    }
  }
  // VAL-1: the type's own schema. A verified payload that fails it is stored as failed (never applied).
  const parsed = handler.schema.safeParse(event.payload);
  if (!parsed.success) {
    await recordFailure(provider, { ...event, target: null }, Object.assign(new Error(), { name: "PayloadSchemaMismatch" }));
    return "invalid";
  }
  const target = handler.target(parsed.data);
  const payloadJson = JSON.stringify(event.payload);
  try {
    return await withWebhookService(async (tx) => {
      if (handler.applyOutsideOrg) {
        const [row] = await tx.query<ClaimedRow>("select * from private.webhook_claim($1, $2, $3, $4::jsonb, $5)", [provider, event.eventId, event.eventType, payloadJson, target.externalId]);
        if (row!.status === "processed" || row!.status === "ignored") return "duplicate";
        return applyClaimed(tx, provider, event.eventId, row!.id, handler, parsed.data);
      }
      // Claim and enter the org our records link the object to, in one call (private.webhook_claim_enter).
      const [row] = await tx.query<ClaimedRow & { org_id: string | null }>("select * from private.webhook_claim_enter($1, $2, $3, $4::jsonb, $5, $6)", [
        provider,
        event.eventId,
        event.eventType,
        payloadJson,
        target.kind,
        target.externalId,
      ]);
      if (row!.status === "processed" || row!.status === "ignored") return "duplicate";
      if (!row!.org_id) {
        await tx.query("select private.webhook_finish($1, 'ignored', $2)", [row!.id, "no local record of this object"]);
        return "ignored";
      }
      return applyInOrg(tx, provider, event.eventId, row!.id, handler, parsed.data, row!.org_id);
    });
  } catch (error) {
    await recordFailure(provider, { ...event, target }, error);
    return "failed";
  }
}

/** The adapters by provider (lib/webhooks/index.ts registers them; replay looks them up). */
export type AdapterRegistry = Readonly<Record<WebhookProvider, WebhookAdapter>>;

/**
 * Replay (the admin log): re-runs processing of a failed row from its stored, already verified payload, with the
 * same exactly-once rules. Returns null when the row is not (or no longer) failed.
 */
export async function replayStoredEvent(adapters: AdapterRegistry, rowId: string): Promise<ProcessOutcome | null> {
  let claimed: (FailedEvent & { provider: WebhookProvider }) | null = null;
  try {
    return await withWebhookService(async (tx) => {
      const [row] = await tx.query<{ id: string; provider: WebhookProvider; event_id: string; event_type: string; payload: unknown }>(
        "select * from private.webhook_claim_stored($1)",
        [rowId],
      );
      if (!row) return null;
      const event: FailedEvent & { provider: WebhookProvider } = { provider: row.provider, eventId: row.event_id, eventType: row.event_type, payload: row.payload, target: null };
      claimed = event;
      const adapter = adapters[row.provider];
      const handler = Object.hasOwn(adapter.handlers, row.event_type) ? adapter.handlers[row.event_type] : undefined;
      const parsed = handler?.schema.safeParse(row.payload);
      if (!handler || !parsed?.success) throw Object.assign(new Error(), { name: handler ? "PayloadSchemaMismatch" : "EventTypeNotHandled" });
      event.target = handler.target(parsed.data);
      return applyClaimed(tx, row.provider, row.event_id, row.id, handler, parsed.data);
    });
  } catch (error) {
    const failed = claimed as (FailedEvent & { provider: WebhookProvider }) | null;
    if (!failed) throw error;
    await recordFailure(failed.provider, failed, error);
    return "failed";
  }
}

/**
 * The route handler of /api/webhooks/<provider>: POST only. Without a configured secret the endpoint does not exist
 * (404, fail closed: nothing is read, nothing stored).
 */
export function webhookRoute(adapter: WebhookAdapter): (request: Request) => Promise<Response> {
  return async (request) => {
    const { provider } = adapter;
    const secrets = adapter.secrets();
    if (secrets.length === 0) {
      recordWebhook(provider, "not_configured");
      return empty(404);
    }
    let raw: string | null;
    try {
      raw = await readRawBody(request, env.WEBHOOK_MAX_BODY_BYTES);
    } catch (error) {
      if (!(error instanceof PayloadTooLargeError)) throw error;
      await recordRejection(provider, "body_too_large", request);
      return empty(413);
    }
    if (raw === null) {
      await recordRejection(provider, "malformed_body", request);
      return empty(400);
    }
    // WH-1: verified before anything parses the body.
    const verified = await adapter.verify({ raw, headers: request.headers, secrets, toleranceSeconds: env.WEBHOOK_TOLERANCE_SECONDS, nowSeconds: Math.floor(Date.now() / 1000) });
    if (!verified.ok) {
      await recordRejection(provider, verified.reason, request);
      return empty(STATUS_OF_REJECTION[verified.reason]);
    }
    const envelope = adapter.envelope.safeParse(verified.payload);
    const identity = envelope.success ? adapter.identify(envelope.data, verified.headerEventId) : null;
    if (!identity) {
      await recordRejection(provider, "invalid_payload", request);
      return empty(400);
    }
    const outcome = await processEvent(adapter, { ...identity, payload: verified.payload });
    recordWebhook(provider, outcome);
    switch (outcome) {
      case "processed":
      case "duplicate":
      case "ignored":
        return answer(200, outcome);
      case "invalid":
        return empty(400);
      case "failed":
        // WH-3: non-2xx, so the provider retries.
        return empty(500);
    }
  };
}
