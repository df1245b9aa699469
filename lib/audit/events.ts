/**
 * AUD-5 / RL-3 / OBS-3: the one taxonomy of security events. Every security event the product records or raises has
 * its type here, with a severity; code refers to SECURITY_EVENT.<name>, never to a string of its own. High and
 * critical events raise an alert (lib/audit/alerts.ts). Threshold rules turn repeated low events from one subject
 * (an address, a key) into one high event per window.
 *
 * Audit actions that are not security events (project.created, member.role_changed, ...) have severity "info".
 * Free of server-only imports so that the offline verifier, the UI and the tests can read it.
 */
export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface SecurityEventType {
  severity: Severity;
  description: string;
}

export const SECURITY_EVENTS = {
  "security.cross_tenant_access": { severity: "medium", description: "An id that exists in another organisation was requested (answered 404)." },
  "security.webhook_rejected": { severity: "low", description: "A webhook delivery failed its signature, timestamp or payload check." },
  "security.webhook_rejections_repeated": { severity: "high", description: "Many webhook deliveries from one address were rejected within a minute." },
  "security.rate_limited": { severity: "low", description: "A request was refused by a rate limiter (429)." },
  "security.rate_limit_abuse": { severity: "high", description: "One subject kept hitting a rate limit within a minute." },
  "security.key_verification_failed": { severity: "low", description: "A presented API key was unknown, revoked, expired or used from an address outside its allow-list." },
  "security.key_verification_failures_repeated": { severity: "high", description: "Many API key verifications from one address failed within a minute." },
  "security.sign_in_failed": { severity: "low", description: "A sign-in attempt was refused." },
  "security.sign_in_failures_repeated": { severity: "high", description: "Many sign-in attempts for one address failed within a minute." },
  "security.audit_write_failed": { severity: "high", description: "An audit entry on a record-only path could not be written and was queued for retry." },
  "security.audit_chain_broken": { severity: "critical", description: "An organisation's audit chain failed verification (modified, removed or reordered entry, or a checkpoint mismatch)." },
  "security.audit_checkpoint_failed": { severity: "high", description: "A signed checkpoint could not be written or pushed to its external sink." },
  "security.flag_off": { severity: "high", description: "The deployment runs with a security flag off (OPS-4): recorded once per organisation when an instance starts serving it so." },
} as const satisfies Record<string, SecurityEventType>;

export type SecurityEventName = keyof typeof SECURITY_EVENTS;

/** SECURITY_EVENT.crossTenantAccess === "security.cross_tenant_access", and so on: the names code uses. */
export const SECURITY_EVENT = {
  crossTenantAccess: "security.cross_tenant_access",
  webhookRejected: "security.webhook_rejected",
  webhookRejectionsRepeated: "security.webhook_rejections_repeated",
  rateLimited: "security.rate_limited",
  rateLimitAbuse: "security.rate_limit_abuse",
  keyVerificationFailed: "security.key_verification_failed",
  keyVerificationFailuresRepeated: "security.key_verification_failures_repeated",
  signInFailed: "security.sign_in_failed",
  signInFailuresRepeated: "security.sign_in_failures_repeated",
  auditWriteFailed: "security.audit_write_failed",
  auditChainBroken: "security.audit_chain_broken",
  auditCheckpointFailed: "security.audit_checkpoint_failed",
  flagOff: "security.flag_off",
} as const satisfies Record<string, SecurityEventName>;

export function isSecurityEvent(action: string): action is SecurityEventName {
  return Object.hasOwn(SECURITY_EVENTS, action);
}

/** The severity of any audit action: a security event's own, "info" for every other action. */
export function severityOf(action: string): Severity {
  return isSecurityEvent(action) ? SECURITY_EVENTS[action].severity : "info";
}

export function alerts(severity: Severity): boolean {
  return severity === "high" || severity === "critical";
}

/** Every security event at a severity (the audit log's severity filter: `action = any(...)`). */
export function eventsWithSeverity(severity: Severity): SecurityEventName[] {
  return (Object.keys(SECURITY_EVENTS) as SecurityEventName[]).filter((name) => SECURITY_EVENTS[name].severity === severity);
}

export interface ThresholdRule {
  /** The counter's name in private.security_event_windows. */
  id: string;
  /** The repeated event, and the one raised when it repeats `threshold` times within `windowSeconds`. */
  counts: SecurityEventName;
  raises: SecurityEventName;
  windowSeconds: number;
  threshold: number;
}

/** The threshold rules: one raise per subject and window (the database's counter answers "crossed" once). */
export const THRESHOLD_RULES: readonly ThresholdRule[] = [
  { id: "key-verification-failures", counts: "security.key_verification_failed", raises: "security.key_verification_failures_repeated", windowSeconds: 60, threshold: 20 },
  { id: "rate-limit-hits", counts: "security.rate_limited", raises: "security.rate_limit_abuse", windowSeconds: 60, threshold: 50 },
  { id: "webhook-rejections", counts: "security.webhook_rejected", raises: "security.webhook_rejections_repeated", windowSeconds: 60, threshold: 20 },
  { id: "sign-in-failures", counts: "security.sign_in_failed", raises: "security.sign_in_failures_repeated", windowSeconds: 60, threshold: 20 },
];

export function thresholdRuleFor(event: SecurityEventName): ThresholdRule | undefined {
  return THRESHOLD_RULES.find((rule) => rule.counts === event);
}
