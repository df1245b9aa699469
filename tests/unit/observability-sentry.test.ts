import * as Sentry from "@sentry/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sentryOptions } from "@/lib/observability/sentry-options";

/**
 * OBS-1 / OBS-2 / KEY-5: a real Sentry client, configured with sentryOptions(), sends envelopes to an
 * in-memory transport (nothing goes over the network). Whatever an error, its breadcrumbs, its request and
 * its user carry, no email, card number, phone number, JWT, bearer token, API key, cookie or query string
 * leaves the process.
 */

const EMAIL = "alice@acme.test";
const CARD = "4111 1111 1111 1111";
const PHONE = "+44 20 7946 0958";
const JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyXzEiLCJvIjp7ImlkIjoib3JnXzEifX0.c2lnbmF0dXJlLWJ5dGVz";
const TOKEN = "tg_live_9fJ2kLmN4pQrS7tUvWxYz0aBcDeFgHiJ";
const OPAQUE_BEARER = "opaque-access-token-1234567890";
const SESSION = "s3ss10n-c00k1e-v4lu3-0f-our-own-shape";
const QUERY_SECRET = "q-secret-in-a-query-string";
const IP = "203.0.113.7";
const PASSWORD = "correct horse battery staple";
const SECRETS = [EMAIL, CARD, CARD.replaceAll(" ", ""), PHONE, JWT, TOKEN, OPAQUE_BEARER, SESSION, QUERY_SECRET, IP, PASSWORD];

const captured: unknown[] = [];
let serialized = "";

beforeAll(async () => {
  Sentry.init({
    ...sentryOptions(),
    dsn: "https://public@o0.ingest.sentry.io/0",
    transport: () => ({
      send: async (envelope) => {
        captured.push(envelope);
        return {};
      },
      flush: async () => true,
    }),
    defaultIntegrations: false,
    skipOpenTelemetrySetup: true,
  });

  Sentry.setUser({ id: "user_2abcDEF", email: EMAIL, ip_address: IP, username: EMAIL });
  Sentry.setTag("customer_email", EMAIL);
  Sentry.setExtra("payload", { card: CARD, contact: { phone: PHONE }, password: PASSWORD });
  Sentry.addBreadcrumb({
    category: "fetch",
    type: "http",
    message: `GET https://api.partner.test/v1/items?q=${QUERY_SECRET}&email=${EMAIL}`,
    data: { url: `https://api.partner.test/v1/items?q=${QUERY_SECRET}`, method: "GET", status_code: 200, authorization: `Bearer ${OPAQUE_BEARER}` },
  });
  Sentry.addBreadcrumb({ category: "console", message: `login ok for ${EMAIL} with session ${JWT}` });

  Sentry.withScope((scope) => {
    // What the Next.js integration attaches for a failing request.
    scope.addEventProcessor((event) => ({
      ...event,
      request: {
        url: `https://app.tenantguard.test/projects?token=${QUERY_SECRET}`,
        method: "POST",
        headers: { Authorization: `Bearer ${OPAQUE_BEARER}`, Cookie: `tg_session=${SESSION}`, "x-api-key": TOKEN, "user-agent": "vitest" },
        cookies: { tg_session: SESSION },
        query_string: `token=${QUERY_SECRET}`,
        data: { email: EMAIL, password: PASSWORD, note: `call me on ${PHONE}` },
      },
    }));
    Sentry.captureException(new Error(`payment failed for ${EMAIL}: card ${CARD}, session ${JWT}, Authorization: Bearer ${OPAQUE_BEARER}`));
  });
  await Sentry.flush(2_000);
  serialized = JSON.stringify(captured);
});

afterAll(async () => {
  await Sentry.close();
});

describe("Sentry error events (OBS-1, OBS-2)", () => {
  it("the exception is captured and sent", () => {
    expect(captured.length).toBeGreaterThan(0);
    expect(serialized).toContain('"type":"Error"');
    expect(serialized).toContain("payment failed for [EMAIL]: card [CARD], session [JWT], Authorization: [REDACTED]");
  });

  it.each(SECRETS)("the envelope does not contain %s", (secret) => {
    expect(serialized).not.toContain(secret);
  });

  it("request: credential headers redacted, cookies and query string dropped, body masked", () => {
    const event = errorEvent();
    expect(event.request).toMatchObject({
      url: "https://app.tenantguard.test/projects?[REDACTED]",
      headers: { Authorization: "[REDACTED]", Cookie: "[REDACTED]", "x-api-key": "[REDACTED]", "user-agent": "vitest" },
      query_string: "[REDACTED]",
      data: { email: "[EMAIL]", password: "[REDACTED]", note: "call me on [PHONE]" },
    });
    expect(event.request).not.toHaveProperty("cookies");
  });

  it("user reduced to its id; breadcrumbs, tags and extra masked", () => {
    const event = errorEvent();
    expect(event.user).toEqual({ id: "user_2abcDEF" });
    expect(event.tags).toMatchObject({ customer_email: "[EMAIL]" });
    expect(event.extra).toMatchObject({ payload: { card: "[CARD]", contact: { phone: "[PHONE]" }, password: "[REDACTED]" } });
    expect(event.breadcrumbs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ message: "GET https://api.partner.test/v1/items?[REDACTED]", data: expect.objectContaining({ url: "https://api.partner.test/v1/items?[REDACTED]", authorization: "[REDACTED]" }) }),
        expect.objectContaining({ message: "login ok for [EMAIL] with session [JWT]" }),
      ]),
    );
  });
});

describe("sentryOptions()", () => {
  const options = sentryOptions();

  it("never sends default PII and uses the configured DSN only", () => {
    expect(options.sendDefaultPii).toBe(false);
    expect(options.dataCollection).toMatchObject({ userInfo: false, cookies: false, urlQueryParams: false, httpBodies: [], stackFrameVariables: false });
    expect(options.dsn).toBeUndefined(); // SENTRY_DSN is not set in tests: instrumentation.ts does not initialise Sentry
    expect(options.tracesSampleRate).toBeGreaterThan(0);
    expect(options.tracesSampleRate).toBeLessThanOrEqual(1);
  });

  it("beforeBreadcrumb masks breadcrumbs when they are recorded", () => {
    const crumb = options.beforeBreadcrumb!(
      { category: "http", message: `POST /api/v1/keys?email=${EMAIL}`, data: { url: `https://x.test/cb?code=${QUERY_SECRET}`, body: `{"apiKey":"${TOKEN}"}`, cookie: SESSION } },
      {},
    );
    expect(JSON.stringify(crumb)).not.toMatch(new RegExp([EMAIL, QUERY_SECRET, TOKEN, SESSION].join("|")));
    expect(crumb).toMatchObject({ message: "POST /api/v1/keys?[REDACTED]", data: { url: "https://x.test/cb?[REDACTED]", cookie: "[REDACTED]" } });
  });

  it("beforeSendTransaction and beforeSendSpan mask span descriptions and data but keep trace ids", () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const spanId = "00f067aa0ba902b7";
    const span = {
      span_id: spanId,
      trace_id: traceId,
      start_timestamp: 1,
      timestamp: 2,
      description: `GET https://api.partner.test/v1/users?email=${EMAIL}`,
      data: { "http.request.header.authorization": `Bearer ${OPAQUE_BEARER}`, "db.statement": `select * from users where email = '${EMAIL}'` },
    };
    const transaction = options.beforeSendTransaction!(
      { type: "transaction", transaction: "GET /projects", contexts: { trace: { trace_id: traceId, span_id: spanId } }, spans: [span], user: { id: "u1", email: EMAIL } },
      {},
    );
    const sentSpan = options.beforeSendSpan!(span);
    for (const output of [transaction, sentSpan]) {
      const text = JSON.stringify(output);
      expect(text).not.toContain(EMAIL);
      expect(text).not.toContain(OPAQUE_BEARER);
      expect(text).toContain(traceId);
      expect(text).toContain(spanId);
    }
    expect(sentSpan.description).toBe("GET https://api.partner.test/v1/users?[REDACTED]");
  });
});

interface SentEvent {
  request?: Record<string, unknown>;
  user?: Record<string, unknown>;
  tags?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  breadcrumbs?: unknown[];
  exception?: unknown;
}

/** The error event from the captured envelopes: [headers, [[itemHeaders, payload], ...]]. */
function errorEvent(): SentEvent {
  for (const envelope of captured as [unknown, [{ type?: string }, SentEvent][]][]) {
    for (const [itemHeaders, payload] of envelope[1]) if (itemHeaders.type === "event" && payload.exception) return payload;
  }
  throw new Error("no error event was captured");
}
