import { describe, expect, it } from "vitest";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { DeliveryList } from "@/components/webhooks/delivery-list";
import type { WebhookLogEntry } from "@/lib/webhooks/log";

const entry = (over: Partial<WebhookLogEntry>): WebhookLogEntry => ({
  id: "00000000-0000-4000-8000-000000000001",
  provider: "stripe",
  event_id: "evt_1",
  event_type: "customer.updated",
  status: "processed",
  attempts: 1,
  last_error: null,
  note: null,
  received_at: new Date("2026-12-01T10:00:00Z"),
  processed_at: new Date("2026-12-01T10:00:01Z"),
  ...over,
});

describe("the webhook log's delivery list", () => {
  it("shows status, attempts, error and times, and a labelled Replay only for failed deliveries", () => {
    const html = renderToStaticMarkup(
      createElement(DeliveryList, {
        provider: "Stripe",
        entries: [entry({}), entry({ id: "00000000-0000-4000-8000-000000000002", event_id: "evt_2", status: "failed", attempts: 3, last_error: "error (SQLSTATE 23514)", processed_at: null })],
      }),
    );
    expect(html.match(/data-testid="webhook-delivery"/g)).toHaveLength(2);
    expect(html).toContain("error (SQLSTATE 23514)");
    expect(html).toContain("1 Dec 2026, 10:00 UTC");
    expect(html.match(/>Replay</g)).toHaveLength(1);
    expect(html).toContain('aria-label="Replay Stripe customer.updated evt_2"');
    expect(html).toContain('value="00000000-0000-4000-8000-000000000002"');
  });

  it("says so when there is nothing yet", () => {
    expect(renderToStaticMarkup(createElement(DeliveryList, { provider: "Dub", entries: [] }))).toContain("No deliveries for this organisation yet.");
  });
});
