import "server-only";
import * as Sentry from "@sentry/nextjs";
import { withAnonymous } from "@/lib/db";
import { env } from "@/lib/env";
import { logger } from "@/lib/observability/logger";
import { recordSecurityEvent } from "@/lib/observability/metrics";
import { alerts, severityOf, thresholdRuleFor, type SecurityEventName } from "./events";

/** What an alert or a noted event says about where it came from: never a secret, never a payload. */
export interface SecurityEventContext {
  orgId?: string | null;
  /** Who or what repeated it, for threshold rules: an address, a key id, a limiter's subject. */
  subject?: string | null;
  requestId?: string | null;
  details?: Record<string, string | number | boolean | null>;
}

/**
 * AUD-5 / RL-3 / OBS-3: a high or critical event raises an alert: one log line at error level, the
 * security_alerts_total metric, and a Sentry message when SENTRY_DSN is set. Lower severities are counted only.
 * Never throws.
 */
export function raiseSecurityAlert(event: string, context: SecurityEventContext = {}): boolean {
  const severity = severityOf(event);
  const alerted = alerts(severity);
  try {
    recordSecurityEvent(event, severity, alerted);
    if (!alerted) return false;
    const fields = { scope: "security", alert: true, event, severity, orgId: context.orgId ?? null, subject: context.subject ?? null, requestId: context.requestId ?? null, ...context.details };
    logger.error(fields, `security alert: ${event}`);
    if (env.SENTRY_DSN) {
      Sentry.captureMessage(`Security alert: ${event}`, { level: severity === "critical" ? "fatal" : "error", tags: { event, severity }, extra: fields });
    }
  } catch {
    // An alert that cannot be raised must not break the path that raised it; the log line above is the fallback.
  }
  return alerted;
}

/**
 * A security event that happened outside any audit write (an unknown key, a rate-limit refusal, a rejected
 * webhook): counted, alerted by its severity, and counted against its threshold rule in the database (shared by
 * every instance), whose crossing raises the rule's high event once per window. Never throws; resolves to the
 * event raised by a crossed threshold, if any.
 */
export async function noteSecurityEvent(event: SecurityEventName, context: SecurityEventContext = {}): Promise<SecurityEventName | null> {
  raiseSecurityAlert(event, context);
  const rule = thresholdRuleFor(event);
  if (!rule || !context.subject) return null;
  try {
    const [row] = await withAnonymous((tx) =>
      tx.query<{ hits: number; crossed: boolean }>("select hits, crossed from private.count_security_event($1, $2, $3, $4)", [rule.id, context.subject, rule.windowSeconds, rule.threshold]),
    );
    if (!row?.crossed) return null;
    raiseSecurityAlert(rule.raises, { ...context, details: { ...context.details, rule: rule.id, hits: row.hits, windowSeconds: rule.windowSeconds } });
    return rule.raises;
  } catch (error) {
    logger.warn({ scope: "security", event, rule: rule.id, err: error instanceof Error ? error.name : "error" }, "security event threshold not counted");
    return null;
  }
}
