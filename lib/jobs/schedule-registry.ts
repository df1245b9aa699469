import { documentScanSweep } from "@/lib/documents/sweep";
import { webhookEventsPrune } from "@/lib/webhooks/schedule";
import { auditCheckpointSchedule } from "@/lib/audit/schedule";
import { auditRetentionSchedule } from "@/lib/audit/retention";
import type { ScheduleDefinition } from "./schedules";

/**
 * Every scheduled maintenance task the product runs (docs/jobs.md), beside the job kinds of lib/jobs/registry.ts and
 * for the same entry points (`npm run worker`, the in-process worker of `npm run dev`), which run them with
 * startScheduler. A capability adds its defineSchedule(...) here. Like registry.ts, imported only by those entry
 * points, never by lib/jobs/index.ts, so a capability's module may import lib/jobs without an import cycle.
 */
export const SCHEDULE_DEFINITIONS: readonly ScheduleDefinition[] = [documentScanSweep, webhookEventsPrune, auditCheckpointSchedule, auditRetentionSchedule];
