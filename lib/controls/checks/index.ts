import "server-only";
import { LIVE_CHECKS, type CheckResult, type LiveCheckId } from "../live-checks";
import { checkAuditChain, checkAuditCheckpoints, checkAuditRetention, checkAuditWriteFailures } from "./audit";
import { checkEmbeddedInProduction, checkRateLimitBackend } from "./configuration";
import { checkDatabaseSession, checkExpiredKeys, checkRlsCoverage, checkRuntimeRole } from "./database";
import { checkSecurityHeaders } from "./headers";
import { checkDeadJobs, checkFileStorage, checkPendingScans, checkVirusScanner } from "./documents";
import { checkWebhookBacklog, checkWebhookRejections } from "./webhooks";
import { checkApiKeyHygiene, checkOrgSecondFactor } from "./org";
import { env } from "@/lib/env";
import { checkUrlImportPolicy } from "@/lib/http/outbound";
import { checkStuckVideos } from "@/lib/video/check";
import { checkPlanLimits } from "@/lib/billing/live-check";
import { checkMemberships } from "@/lib/members/check";
import { checkStandingAccess, checkSupportSessions } from "@/lib/support/check";
import { checkProjectGrants } from "@/lib/grants/check";
import { checkRefreshReuse, checkSecondFactorRule, checkSignInLockouts } from "@/lib/auth/checks";
import { checkDecryptSelfTest, checkKeysPendingRetirement, checkRecordsPerKeyVersion } from "@/lib/crypto/live-check";
import { checkSbom } from "@/lib/ops/check";
import { checkSecurityTxt } from "@/lib/security/security-txt";
import { checkFeatureFlags } from "@/lib/flags/live-check";

export { checkAuditChain, checkDatabaseSession, checkEmbeddedInProduction, checkExpiredKeys, checkRateLimitBackend, checkRlsCoverage, checkRuntimeRole, checkSecurityHeaders };
export { checkDeadJobs, checkFileStorage, checkPendingScans, checkVirusScanner };
export { checkWebhookBacklog, checkWebhookRejections };
export { checkApiKeyHygiene, checkOrgSecondFactor };
export { checkAuditCheckpoints, checkAuditRetention, checkAuditWriteFailures };
export { evaluateSecurityHeaders } from "./headers";

export interface RunOptions {
  /** Verify only this org's audit chain (the Security Center's view); every org's when absent. */
  orgId?: string;
  /** Check the headers of a live response from this URL instead of the in-process proxy. */
  url?: string;
}

export interface ControlCheckResult extends CheckResult {
  id: LiveCheckId;
  title: string;
  controls: readonly string[];
}

// Every declared check has exactly one implementation (the type makes a missing one a compile error).
const IMPLEMENTATIONS: Record<LiveCheckId, (options: RunOptions) => CheckResult | Promise<CheckResult>> = {
  "rls-coverage": () => checkRlsCoverage(),
  "runtime-role": () => checkRuntimeRole(),
  "database-session": () => checkDatabaseSession(),
  "audit-chain": ({ orgId }) => checkAuditChain({ orgId }),
  "security-headers": ({ url }) => checkSecurityHeaders({ url }),
  "expired-keys": () => checkExpiredKeys(),
  "rate-limit-backend": () => checkRateLimitBackend(),
  "embedded-in-production": () => checkEmbeddedInProduction(),
  "url-import-policy": () =>
    checkUrlImportPolicy({ allowedPorts: env.URL_IMPORT_ALLOWED_PORTS, allowHosts: env.URL_IMPORT_ALLOW_HOSTS, production: env.NODE_ENV === "production" }),
  "pending-scans": () => checkPendingScans(),
  "dead-jobs": () => checkDeadJobs(),
  "virus-scanner": () => checkVirusScanner(),
  "file-storage": () => checkFileStorage(),
  "videos-waiting": () => checkStuckVideos(),
  "plan-limits": ({ orgId }) => checkPlanLimits({ orgId }),
  "webhook-rejections": () => checkWebhookRejections(),
  "webhook-backlog": () => checkWebhookBacklog(),
  memberships: () => checkMemberships(),
  "support-sessions": () => checkSupportSessions(),
  "standing-access": () => checkStandingAccess(),
  "project-grants": () => checkProjectGrants(),
  "audit-checkpoints": ({ orgId }) => checkAuditCheckpoints({ orgId }),
  "audit-retention": () => checkAuditRetention(),
  "audit-write-failures": () => checkAuditWriteFailures(),
  "second-factor-rule": () => checkSecondFactorRule(),
  "refresh-reuse": () => checkRefreshReuse(),
  "sign-in-lockouts": () => checkSignInLockouts(),
  "records-per-key-version": () => checkRecordsPerKeyVersion(),
  "keys-pending-retirement": () => checkKeysPendingRetirement(),
  "decrypt-self-test": () => checkDecryptSelfTest(),
  sbom: () => checkSbom(),
  "security-txt": () => checkSecurityTxt({ appUrl: env.APP_URL, contacts: env.SECURITY_CONTACT }),
  "api-key-hygiene": ({ orgId }) => checkApiKeyHygiene({ orgId }),
  "org-second-factor": ({ orgId }) => checkOrgSecondFactor({ orgId }),
  "feature-flags": () => checkFeatureFlags(),
};

/** A check that cannot run has not passed: it fails, naming only the error's kind (messages can carry hosts or SQL). */
function couldNotRun(error: unknown): CheckResult {
  const code = error && typeof error === "object" && typeof (error as { code?: unknown }).code === "string" ? ` (${(error as { code: string }).code})` : "";
  const name = error instanceof Error ? error.name : "error";
  return { status: "fail", detail: `The check could not run: ${name}${code}.` };
}

/** Runs every live check, one after the other (they share the owner's small pool), and never throws. */
export async function runControlChecks(options: RunOptions = {}): Promise<ControlCheckResult[]> {
  const results: ControlCheckResult[] = [];
  for (const id of Object.keys(LIVE_CHECKS) as LiveCheckId[]) {
    let result: CheckResult;
    try {
      result = await IMPLEMENTATIONS[id](options);
    } catch (error) {
      result = couldNotRun(error);
    }
    results.push({ id, title: LIVE_CHECKS[id].title, controls: LIVE_CHECKS[id].controls, status: result.status, detail: result.detail });
  }
  return results;
}

/** Runs one live check (the Security Center's "Run now"), timed; never throws. */
export async function runControlCheck(id: LiveCheckId, options: RunOptions = {}): Promise<ControlCheckResult & { durationMs: number }> {
  const started = performance.now();
  let result: CheckResult;
  try {
    result = await IMPLEMENTATIONS[id](options);
  } catch (error) {
    result = couldNotRun(error);
  }
  const durationMs = Math.round(performance.now() - started);
  return { id, title: LIVE_CHECKS[id].title, controls: LIVE_CHECKS[id].controls, status: result.status, detail: result.detail, durationMs };
}
