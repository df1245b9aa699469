import type { z } from "zod";
import type { Queryable } from "@/lib/db";

/** The providers whose deliveries TenantGuard receives, each at /api/webhooks/<provider>. */
export const WEBHOOK_PROVIDERS = ["clerk", "stripe", "mux", "nylas", "dub"] as const;
export type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number];

/**
 * Why a delivery was refused before anything was stored (WH-1). The first four are answered 400 (a request we cannot
 * read as that provider's), the signature and timestamp reasons 401, an oversized body 413.
 */
export type RejectionReason =
  | "missing_headers"
  | "malformed_headers"
  | "malformed_body"
  | "invalid_payload"
  | "bad_signature"
  | "stale_timestamp"
  | "future_timestamp"
  | "body_too_large";

export interface VerifyInput {
  /** The raw body, exactly as received (decoded as strict UTF-8: the same bytes the provider signed). */
  raw: string;
  headers: Headers;
  /** Every active secret: a delivery is genuine when any one of them verifies it (rotation). */
  secrets: readonly string[];
  toleranceSeconds: number;
  nowSeconds: number;
}

export type Verified = { ok: true; payload: unknown; headerEventId?: string } | { ok: false; reason: RejectionReason };

/** What an effect may do besides its own statements (the kernel's helpers, bound to this event's transaction). */
export interface EffectContext {
  provider: WebhookProvider;
  eventId: string;
  /** The one org our records link the event's object to; RLS already confines the transaction to it. */
  orgId: string;
  /**
   * WH-3: records `version` (the provider's time or version of this object state, in milliseconds) for the object
   * and answers true when it is not older than the newest already applied. On false, apply nothing.
   */
  advanceVersion(objectType: string, objectId: string, version: number): Promise<boolean>;
  /** AUD-3: an audit entry in the org's chain, in this transaction, with the provider as the `webhook` actor. */
  audit(entry: { action: string; targetType: string; targetId: string; changes?: Record<string, unknown> }): Promise<void>;
}

/** An effect's result: applied, or not applied with the reason stored as the event's note (status ignored). */
export type EffectOutcome = { applied: true } | { applied: false; note: string };

export interface EventHandler<P> {
  /** VAL-1: the whole payload of this event type; a verified payload that fails it is stored as failed, never applied. */
  schema: z.ZodType<P>;
  /** The object the event is about, as our records name it (resolved to an org by private.webhook_enter_org). */
  target(payload: P): { kind: string; externalId: string };
  /** Runs inside the event's transaction, as webhook_service scoped to the resolved org. */
  apply(tx: Queryable, payload: P, ctx: EffectContext): Promise<EffectOutcome>;
  /**
   * For an event that belongs to no single org (Clerk's user.*, organization.created): when set, the kernel enters no
   * org and runs this instead of `apply`, still in the event's transaction as webhook_service. Such an effect acts
   * only through SECURITY DEFINER functions bound to the claimed delivery row (`rowId`), which touch only the rows of
   * the event's own object; webhook_service's RLS still reaches no org.
   */
  applyOutsideOrg?(tx: Queryable, payload: P, event: { provider: WebhookProvider; eventId: string; rowId: string }): Promise<EffectOutcome>;
}

/** A provider, as the kernel sees it: verification, the envelope that names the event, and the handled types. */
export interface WebhookAdapter<E = unknown> {
  provider: WebhookProvider;
  /** The active signing secrets (from the environment); none: the endpoint does not exist (404). */
  secrets(): readonly string[];
  /** WH-1: the provider's own mechanism, on the raw body, before anything parses it. */
  verify(input: VerifyInput): Promise<Verified>;
  /** The part of every event the kernel needs: its id and type. */
  envelope: z.ZodType<E>;
  identify(envelope: E, headerEventId: string | undefined): { eventId: string; eventType: string } | null;
  /** The allow-list: event types with an effect. Any other verified type is stored as ignored. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  handlers: Readonly<Record<string, EventHandler<any>>>;
}
