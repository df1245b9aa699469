import { documentScanJob } from "@/lib/documents/scan";
import { auditRetryJob } from "@/lib/audit/record-only";
import type { JobDefinition } from "./types";

/**
 * Every job kind the product runs, for the workers (`npm run worker`, and the in-process worker of `npm run dev`).
 * A capability adds its definitions here (documents' scan job, retention, key rotation, webhook follow-ups).
 * Imported only by the workers' entry points (lib/jobs/in-process.ts, scripts/worker.ts), never by lib/jobs/index.ts,
 * so a capability's module may import lib/jobs without an import cycle.
 */
export const JOB_DEFINITIONS: readonly JobDefinition[] = [documentScanJob as JobDefinition, auditRetryJob as JobDefinition];
