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
  "videos-waiting": {
    title: "Videos waiting for Mux",
    summary: "No video is still waiting for Mux more than 24 hours after its direct upload was created (abandoned uploads, or webhooks not arriving).",
    controls: ["BIL-2"],
  },
  memberships: {
    title: "Members and owners",
    summary: "The last-owner trigger is enabled and no request role writes memberships or invites directly; organisations with members but no owner are a warning; expired, unredeemed invites are counted.",
    controls: ["TEN-3"],
  },
} as const satisfies Record<string, { title: string; summary: string; controls: readonly ControlId[] }>;

export type LiveCheckId = keyof typeof LIVE_CHECKS;

export type CheckStatus = "pass" | "fail" | "warn" | "not_applicable";

/** What a live check answers. `detail` is for people (and the Security Center): never a secret, never key material. */
export interface CheckResult {
  status: CheckStatus;
  detail: string;
}
