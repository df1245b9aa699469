import "server-only";
import type { Breadcrumb, ErrorEvent, Event, NodeOptions } from "@sentry/nextjs";
import { env } from "@/lib/env";
import { MASK, maskValue } from "./pii";

/**
 * OBS-1: options for `Sentry.init` on the server (instrumentation.ts calls it only when SENTRY_DSN is set).
 * OBS-2 / KEY-5: every event, transaction, span and breadcrumb passes through maskValue before it leaves the
 * process; request cookies and query strings are dropped, the user is reduced to its id.
 */

type TransactionEvent = Parameters<NonNullable<NodeOptions["beforeSendTransaction"]>>[0];
type SpanJSON = Parameters<NonNullable<NodeOptions["beforeSendSpan"]>>[0];

/** Request headers Sentry may collect at all; everything else (cookies, credentials, forwarding) is left out. */
const COLLECTED_HEADERS = ["accept", "content-length", "content-type", "host", "user-agent", "x-request-id"];

function scrub<T extends Event>(event: T): T {
  const masked = maskValue(event);
  if (masked.request) {
    delete masked.request.cookies;
    if (masked.request.query_string !== undefined) masked.request.query_string = MASK.redacted;
  }
  // Only the pseudonymous user id stays: no email, IP address, username or geo location.
  if (masked.user) masked.user = masked.user.id !== undefined ? { id: masked.user.id } : {};
  return masked;
}

export function scrubEvent(event: ErrorEvent): ErrorEvent {
  return scrub(event);
}

export function scrubTransaction(event: TransactionEvent): TransactionEvent {
  return scrub(event);
}

export function scrubSpan(span: SpanJSON): SpanJSON {
  return maskValue(span);
}

export function scrubBreadcrumb(breadcrumb: Breadcrumb): Breadcrumb {
  return maskValue(breadcrumb);
}

export function sentryOptions(): NodeOptions {
  return {
    dsn: env.SENTRY_DSN,
    environment: env.NODE_ENV,
    release: env.APP_VERSION,
    sendDefaultPii: false,
    // Stricter than sendDefaultPii: false alone (Sentry 10 applies this when both are set).
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: { request: { allow: COLLECTED_HEADERS }, response: { allow: COLLECTED_HEADERS } },
      httpBodies: [],
      urlQueryParams: false,
      graphQL: { document: true, variables: false },
      genAI: { inputs: false, outputs: false },
      databaseQueryData: false,
      stackFrameVariables: false,
    },
    // A tenth of requests in production is enough for latency percentiles; everything elsewhere.
    tracesSampleRate: env.NODE_ENV === "production" ? 0.1 : 1.0,
    beforeSend: scrubEvent,
    beforeSendTransaction: scrubTransaction,
    beforeSendSpan: scrubSpan,
    beforeBreadcrumb: scrubBreadcrumb,
  };
}
