import * as Sentry from "@sentry/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// AUD-5 / OBS-3: with SENTRY_DSN set, a high or critical security event reaches Sentry as a message of the event's
// level (a real Sentry client, its envelopes kept in memory: nothing goes over the network); a low one does not.
process.env.SENTRY_DSN = "https://public@o0.ingest.sentry.io/0";
const { raiseSecurityAlert } = await import("@/lib/audit/alerts");
const { sentryOptions } = await import("@/lib/observability/sentry-options");

const sent: string[] = [];

beforeAll(() => {
  Sentry.init({
    ...sentryOptions(),
    dsn: process.env.SENTRY_DSN,
    transport: () => ({
      send: async (envelope) => {
        sent.push(JSON.stringify(envelope));
        return {};
      },
      flush: async () => true,
    }),
    defaultIntegrations: false,
    skipOpenTelemetrySetup: true,
  });
});

afterAll(async () => {
  await Sentry.close();
  delete process.env.SENTRY_DSN;
});

describe("security alerts reach Sentry when it is configured", () => {
  it("a high event is sent as an error-level message naming the event; a low event is not sent", async () => {
    expect(raiseSecurityAlert("security.webhook_rejected", { orgId: "org_sentry", subject: "203.0.113.5" })).toBe(false);
    await Sentry.flush(2000);
    expect(sent.filter((e) => e.includes("security.webhook_rejected"))).toEqual([]);

    expect(raiseSecurityAlert("security.rate_limit_abuse", { orgId: "org_sentry", subject: "key_abc" })).toBe(true);
    await Sentry.flush(2000);
    const alert = sent.find((e) => e.includes("Security alert: security.rate_limit_abuse"));
    expect(alert).toBeDefined();
    expect(alert).toContain('"level":"error"');
    expect(alert).toContain('"severity":"high"');
  });
});
