import "server-only";
import { defineSchedule, type ScheduleResult } from "@/lib/jobs";
import { env } from "@/lib/env";
import { checkpointAllHeads } from "./checkpoints";

/**
 * AUD-5: every AUDIT_CHECKPOINT_INTERVAL_MINUTES (default 15) one worker signs the head of every chain that grew
 * since its latest checkpoint, stores it and writes it to the external sink (lib/audit/checkpoints.ts).
 */
export const auditCheckpointSchedule = defineSchedule({
  name: "audit.checkpoint",
  everyMs: env.AUDIT_CHECKPOINT_INTERVAL_MINUTES * 60_000,
  async run(ctx): Promise<ScheduleResult> {
    return checkpointAllHeads(ctx);
  },
});
