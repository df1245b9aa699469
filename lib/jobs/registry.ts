import type { JobDefinition } from "./types";

/**
 * Every job kind the product runs, for the workers (`npm run worker`, and the in-process worker of `npm run dev`).
 * A capability adds its definitions here (documents' scan job, retention, key rotation, webhook follow-ups).
 */
export const JOB_DEFINITIONS: readonly JobDefinition[] = [];
