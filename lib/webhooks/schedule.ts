import "server-only";
import { defineSchedule, type ScheduleResult } from "@/lib/jobs";
import { pruneWebhookEvents } from "./index";

/**
 * WH-2 retention: every 6 hours one worker removes webhook deliveries older than WEBHOOK_RETENTION_DAYS (default 30,
 * never under 4: longer than every provider retries, so a retried delivery always finds its row). Removal is
 * idempotent, so the schedule's lease is only what keeps it to one run per interval; the delete itself runs as
 * webhook_service through private.prune_webhook_events (pruneWebhookEvents), the kernel's own narrow principal.
 */
export const webhookEventsPrune = defineSchedule({
  name: "webhooks.prune",
  everyMs: 6 * 60 * 60_000,
  async run(): Promise<ScheduleResult> {
    return { removed: await pruneWebhookEvents() };
  },
});
