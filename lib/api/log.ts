import "server-only";

/** Structured log line for the API layer (OBS-3). Fields are never secrets: ids, names and codes only. */
export function apiLog(level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown> = {}) {
  const line = JSON.stringify({ level, msg, scope: "api", ...fields });
  if (level === "error") console.error(line);
  else console.log(line);
}
