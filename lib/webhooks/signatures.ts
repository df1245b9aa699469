import "server-only";
import { createHmac, timingSafeEqual } from "node:crypto";
import Stripe from "stripe";
import { Webhook, WebhookVerificationError } from "svix";
import Mux from "@mux/mux-node";
import type { RejectionReason, Verified, VerifyInput } from "./types";

/**
 * WH-1: each provider's own verification, on the raw body, before anything parses it. Header shapes are checked
 * first (a request that is not that provider's is 400), then the signed time is held to our tolerance in BOTH
 * directions (the SDKs check only the past: Stripe accepts an hour ahead, Mux any time ahead, Svix hard-codes
 * five minutes), then the signature is tried with every active secret (rotation).
 */

const reject = (reason: RejectionReason): Verified => ({ ok: false, reason });

/** Our own window, both directions: a signed time further than `tolerance` from now is refused. */
export function timestampWindow(signedAt: number, nowSeconds: number, toleranceSeconds: number): RejectionReason | null {
  if (signedAt < nowSeconds - toleranceSeconds) return "stale_timestamp";
  if (signedAt > nowSeconds + toleranceSeconds) return "future_timestamp";
  return null;
}

function parseJson(raw: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    return { ok: false };
  }
}

/** `t=<unix seconds>,v1=<hex>[,v1=...]` (Stripe-Signature, Mux-Signature); other schemes (v0) are allowed and unused. */
function parseTimestampedHeader(header: string): { t: number } | null {
  const parts = header.split(",").map((p) => p.trim());
  const t = parts.filter((p) => p.startsWith("t="));
  const v1 = parts.filter((p) => p.startsWith("v1="));
  if (t.length !== 1 || !/^t=\d{1,12}$/.test(t[0]!) || v1.length === 0 || !v1.every((v) => /^v1=[0-9a-f]{64}$/.test(v))) return null;
  if (parts.some((p) => !/^[a-z0-9]{1,8}=[A-Za-z0-9+/=]{1,128}$/.test(p))) return null;
  return { t: Number(t[0]!.slice(2)) };
}

/** Stripe: `stripe.webhooks.constructEvent` per secret, plus our future-side check it lacks. */
export async function verifyStripe(input: VerifyInput): Promise<Verified> {
  const header = input.headers.get("stripe-signature");
  if (!header) return reject("missing_headers");
  const parsed = parseTimestampedHeader(header);
  if (!parsed) return reject("malformed_headers");
  const outside = timestampWindow(parsed.t, input.nowSeconds, input.toleranceSeconds);
  if (outside) return reject(outside);
  for (const secret of input.secrets) {
    try {
      const event = Stripe.webhooks.constructEvent(input.raw, header, secret, input.toleranceSeconds);
      return { ok: true, payload: event };
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) continue;
      // The signature held and the body is not JSON.
      if (error instanceof SyntaxError) return reject("malformed_body");
      throw error;
    }
  }
  return reject("bad_signature");
}

const SVIX_ID = /^[A-Za-z0-9_-]{1,255}$/;
const SVIX_SIGNATURE = /^v1[a-z]?,[A-Za-z0-9+/]{20,}={0,2}$/;

/** Clerk: Svix's `Webhook#verify` per secret (it signs `id.timestamp.body`); the svix-id is the event's id. */
export async function verifySvix(input: VerifyInput): Promise<Verified> {
  const id = input.headers.get("svix-id");
  const timestamp = input.headers.get("svix-timestamp");
  const signature = input.headers.get("svix-signature");
  if (!id || !timestamp || !signature) return reject("missing_headers");
  const entries = signature.split(" ").filter(Boolean);
  if (!SVIX_ID.test(id) || !/^\d{1,12}$/.test(timestamp) || entries.length === 0 || entries.length > 10 || !entries.every((e) => SVIX_SIGNATURE.test(e))) {
    return reject("malformed_headers");
  }
  const outside = timestampWindow(Number(timestamp), input.nowSeconds, input.toleranceSeconds);
  if (outside) return reject(outside);
  const headers = { "svix-id": id, "svix-timestamp": timestamp, "svix-signature": signature };
  for (const secret of input.secrets) {
    try {
      const payload: unknown = new Webhook(secret).verify(input.raw, headers);
      return { ok: true, payload, headerEventId: id };
    } catch (error) {
      if (error instanceof WebhookVerificationError) continue;
      if (error instanceof SyntaxError) return reject("malformed_body");
      throw error;
    }
  }
  return reject("bad_signature");
}

// The SDK's webhook verification needs a client object, never its API credentials: nothing here calls Mux's API.
let muxClient: Mux | undefined;
const mux = () => (muxClient ??= new Mux({ tokenId: "webhook-verification-only", tokenSecret: "webhook-verification-only" }));

/** Mux: `mux.webhooks.verifySignature` per secret (HMAC-SHA256 of `t.body`), plus our future-side check. */
export async function verifyMux(input: VerifyInput): Promise<Verified> {
  const header = input.headers.get("mux-signature");
  if (!header) return reject("missing_headers");
  const parsed = parseTimestampedHeader(header);
  if (!parsed) return reject("malformed_headers");
  const outside = timestampWindow(parsed.t, input.nowSeconds, input.toleranceSeconds);
  if (outside) return reject(outside);
  const headers = { "mux-signature": header };
  for (const secret of input.secrets) {
    try {
      await mux().webhooks.verifySignature(input.raw, headers, secret);
    } catch {
      continue;
    }
    const json = parseJson(input.raw);
    return json.ok ? { ok: true, payload: json.value } : reject("malformed_body");
  }
  return reject("bad_signature");
}

/**
 * Nylas (`X-Nylas-Signature`) and Dub (`Dub-Signature`): hex HMAC-SHA256 of the raw body with the webhook secret,
 * compared in constant time. Neither signs a time: replay protection is the webhook_events table alone.
 */
export function verifyHexHmac(headerName: string) {
  return async (input: VerifyInput): Promise<Verified> => {
    const header = input.headers.get(headerName);
    if (!header) return reject("missing_headers");
    if (!/^[0-9a-fA-F]{64}$/.test(header.trim())) return reject("malformed_headers");
    const presented = Buffer.from(header.trim(), "hex");
    const body = Buffer.from(input.raw, "utf8");
    let matched = false;
    for (const secret of input.secrets) {
      const expected = createHmac("sha256", secret).update(body).digest();
      // Every secret is compared (no early exit), each in constant time.
      if (timingSafeEqual(presented, expected)) matched = true;
    }
    if (!matched) return reject("bad_signature");
    const json = parseJson(input.raw);
    return json.ok ? { ok: true, payload: json.value } : reject("malformed_body");
  };
}
