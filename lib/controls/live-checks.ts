import type { ControlId } from "./types";

/**
 * The live checks the running app can execute (implemented in lib/controls/checks, run by `npm run controls:check`
 * and, later, the Security Center). Declared here without their code so the registry and its documentation stay
 * free of database and environment imports.
 */
export const LIVE_CHECKS = {
  "rls-coverage": {
    title: "RLS coverage",
    summary: "Runs scripts/verify-rls-coverage.sql as the tables' owner: every table in the app schemas has row-level security enabled and forced, and a policy.",
    controls: ["TEN-1", "TEN-5"],
  },
  "runtime-role": {
    title: "Runtime role",
    summary: "The role requests connect as is not a superuser, has no BYPASSRLS, owns nothing in the app schemas and cannot become a role that does.",
    controls: ["TEN-1"],
  },
  "database-session": {
    title: "Database session",
    summary: "The database session requests run in is not a superuser session (on the embedded engine it is: reported as a warning).",
    controls: ["TEN-1", "TEN-2"],
  },
  "audit-chain": {
    title: "Audit chain",
    summary: "Verifies the per-org hash chains of the audit log (one org's, or every org's) against their anchored heads.",
    controls: ["AUD-2"],
  },
  "security-headers": {
    title: "Security headers",
    summary: "A response from the app's own request pipeline (or a live URL) carries nosniff, frame denial, a nonce CSP without unsafe-inline scripts, Referrer-Policy, Permissions-Policy, and HSTS in production.",
    controls: ["HDR-1", "HDR-2"],
  },
  "expired-keys": {
    title: "Keys past expiry",
    summary: "Every unrevoked API key whose expiry has passed is refused by the database's per-request key check.",
    controls: ["KEY-2"],
  },
  "rate-limit-backend": {
    title: "Rate-limit backend",
    summary: "Which backend serves rate limits: a shared Redis/Upstash in production, and whether the circuit breaker has fallen back to per-instance memory.",
    controls: ["RL-2"],
  },
  "embedded-in-production": {
    title: "Embedded components in production",
    summary: "In production, no embedded component (PGlite, the embedded identity provider) is in use unless the deployment is marked as a demo.",
    controls: ["IDN-2", "ENC-3"],
  },
  "url-import-policy": {
    title: "URL import policy",
    summary: "With the deployment's settings, URL import refuses loopback, private, IPv4-mapped, NAT64 and cloud-metadata forms, other schemes and credentials (checked without network), and no loopback allow-list is set in production.",
    controls: ["SSRF-1"],
  },
  "pending-scans": {
    title: "Documents waiting for their scan",
    summary: "No document has waited more than an hour for its virus scan (pending or failed and awaiting a retry); with no scanner configured, how many wait (a warning).",
    controls: ["FILE-2"],
  },
  "dead-jobs": {
    title: "Dead jobs",
    summary: "How many jobs are in the dead-letter state, by kind (a warning when any is: each failed its last attempt and waits for an admin's re-queue).",
    controls: ["FILE-2", "OBS-4"],
  },
  "virus-scanner": {
    title: "Virus scanner",
    summary: "The configured virus scanner (clamd or clamscan) answers with its version; none configured is a warning (uploads stay pending).",
    controls: ["FILE-2", "OBS-4"],
  },
  "file-storage": {
    title: "File storage",
    summary: "The configured file storage answers: the S3-compatible bucket exists and the credentials are accepted (HeadBucket), or the local storage directory is readable and writable.",
    controls: ["FILE-3", "OBS-4"],
  },
  "videos-waiting": {
    title: "Videos waiting for Mux",
    summary: "No video is still waiting for Mux more than 24 hours after its direct upload was created (abandoned uploads, or webhooks not arriving).",
    controls: ["BIL-2"],
  },
  "plan-limits": {
    title: "Plan limits",
    summary: "No organisation holds more projects, unrevoked API keys or members than its effective plan allows, and every usage counter equals the rows it counts.",
    controls: ["BIL-1"],
  },
  "webhook-rejections": {
    title: "Rejected webhook deliveries",
    summary: "How many webhook deliveries were refused in the last 24 hours (bad or missing signature, timestamp outside the tolerance, malformed): informational, a warning when any.",
    controls: ["WH-1"],
  },
  "webhook-backlog": {
    title: "Webhook events failed or stuck",
    summary: "No webhook event has been failed, or received without its effect, for more than an hour.",
    controls: ["WH-2", "WH-3"],
  },
  "audit-checkpoints": {
    title: "Audit checkpoints",
    summary: "Every org's chain is covered by a signed checkpoint that verifies under this deployment's public key and is not older than three checkpoint intervals while entries wait beyond it.",
    controls: ["AUD-5"],
  },
  "audit-retention": {
    title: "Audit entries past retention",
    summary: "No audit entry is kept more than two days past its org's retention (one year unless set) unless the org is under legal hold.",
    controls: ["AUD-4"],
  },
  "audit-write-failures": {
    title: "Audit write failures",
    summary: "Audit writes that failed on record-only paths in the last 24 hours (each queued for retry); a failure given up after its last retry fails the check.",
    controls: ["AUD-4"],
  },
  memberships: {
    title: "Members and owners",
    summary: "The last-owner trigger is enabled and no request role writes memberships or invites directly; organisations with members but no owner are a warning; expired, unredeemed invites are counted.",
    controls: ["TEN-3"],
  },
  "support-sessions": {
    title: "Support sessions",
    summary: "Support sessions open now, by organisation and operator (a warning while any is); no support action in the audit log falls outside a live consent of its operator (a consent used after its expiry or revocation fails).",
    controls: ["TEN-8"],
  },
  "standing-access": {
    title: "No standing access",
    summary: "Every tenant table carries the restrictive support-consent policies, no policy admits a request role unconditionally or reads the operator list, and no role that bypasses row-level security is reachable from a request role.",
    controls: ["TEN-8"],
  },
  "project-grants": {
    title: "Project grants and invite links",
    summary: "Expired grants still effective through the policy helper: must be none; no request role writes grants or links directly; every project-scoped table reads through the grant helpers; live and expired grants, guests and usable links are counted.",
    controls: ["TEN-7"],
  },
  "second-factor-rule": {
    title: "Two-step verification rule",
    summary: "Every table carrying the second-factor policies has all three (insert, update, delete) as restrictive policies; organisations that require two-step verification but have owners or admins without a second factor are a warning.",
    controls: ["IDN-5"],
  },
  "refresh-reuse": {
    title: "Refresh-token reuse",
    summary: "Sessions revoked in the last 24 hours because a used refresh token was presented again (a warning when any was).",
    controls: ["IDN-6"],
  },
  "sign-in-lockouts": {
    title: "Sign-in lockouts",
    summary: "Accounts temporarily locked after too many password or second-factor attempts in the last 15 minutes (a warning when any is), and failed attempts in the last hour.",
    controls: ["IDN-5", "RL-1"],
  },
  "records-per-key-version": {
    title: "Encrypted values per key version",
    summary: "How many stored credentials sit on each key-encryption key (through their data keys); none may reference a retired data key, and values not on the active key are a warning until rotation finishes.",
    controls: ["ENC-1", "ENC-2"],
  },
  "keys-pending-retirement": {
    title: "Keys pending retirement",
    summary: "Every key-encryption key a data key references is configured; configured keys that are not active are listed with the data keys each still wraps (zero: it can be retired).",
    controls: ["ENC-2"],
  },
  "decrypt-self-test": {
    title: "Decryption self-test",
    summary: "A throwaway value encrypts and decrypts under every configured key-encryption key, a copy moved to another row is refused, and one stored data key per key-encryption key unwraps.",
    controls: ["ENC-1", "ENC-5"],
  },
  sbom: {
    title: "SBOM of the running version",
    summary: "The build's CycloneDX SBOM (sbom/tenantguard.cdx.json) exists, parses as CycloneDX and describes the running version (metadata.component); absent in development is a warning, in production a failure.",
    controls: ["OPS-2"],
  },
  "security-txt": {
    title: "security.txt",
    summary: "/.well-known/security.txt, as its route renders it, has a Contact, exactly one Expires and this deployment's Canonical URL; Expires is in the past: fail; within 30 days: a warning (time to review it).",
    controls: ["OPS-5"],
  },
  "api-key-hygiene": {
    title: "API keys without expiry or unused",
    summary: "Live API keys (of the org, or every org's) that never expire, or that nobody has used for 90 days (never used and created 90 days ago): a warning when any is.",
    controls: ["KEY-2"],
  },
  "org-second-factor": {
    title: "Two-step verification in the organisation",
    summary: "Whether the org requires two-step verification, and how many of its owners and admins have no second factor (TOTP or passkey) enrolled: a warning for either.",
    controls: ["IDN-5"],
  },
  "feature-flags": {
    title: "Feature flags",
    summary: "Every flag's rollout and where it was set; fails while a security flag (virus scan, quarantine, CSRF, rate limits, audit hash chain, MFA enforcement) is off without acknowledgement, warns while one is off and acknowledged.",
    controls: ["OPS-4", "ENC-3"],
  },
} as const satisfies Record<string, { title: string; summary: string; controls: readonly ControlId[] }>;

export type LiveCheckId = keyof typeof LIVE_CHECKS;

export type CheckStatus = "pass" | "fail" | "warn" | "not_applicable";

/** What a live check answers. `detail` is for people (and the Security Center): never a secret, never key material. */
export interface CheckResult {
  status: CheckStatus;
  detail: string;
}
