import "server-only";
import { logger } from "@/lib/observability/logger";

/** Structured log line for the API layer (OBS-3), through the masking logger. Fields are ids and codes only. */
export function apiLog(level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown> = {}) {
  logger[level]({ scope: "api", ...fields }, msg);
}
