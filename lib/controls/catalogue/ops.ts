import { evidence, family } from "../types";

const REGISTRY = "tests/unit/controls-registry.test.ts";
const FLAGS_UNIT = "tests/unit/feature-flags.test.ts";
const FLAGS_INTEGRATION = "tests/integration/feature-flags.test.ts";
const FLAGS_PAGE = "tests/integration/flags-page.test.ts";

export const OPS = family("OPS", [
  {
    id: "OPS-1",
    title: "CI gate on every change",
    description:
      "One script, `.ci/run`, is the gate every change must pass: a frozen install (`npm ci`), lint, typecheck, the whole test suite on embedded defaults and again against real PostgreSQL and Redis, then the end-to-end tests in a real browser against the production build.",
    status: "partial",
    issue: 19,
    implementation: [".ci/run", "package-lock.json", "eslint.config.mjs"],
    evidence: [evidence(REGISTRY, "OPS-1: .ci/run runs a frozen install, lint, typecheck and the suite on both engines")],
    limitations: ["No hosted CI workflow runs `.ci/run` on pull requests yet (#19)."],
  },
  {
    id: "OPS-2",
    title: "Dependency audit, SBOM, secret-blocking hook",
    description:
      "CI audits production dependencies and fails on high and critical advisories, every build gets a CycloneDX SBOM, and a pre-commit hook refuses `.env` files, private keys and TenantGuard's own key prefixes.",
    status: "planned",
    issue: 19,
    implementation: [],
    evidence: [],
  },
  {
    id: "OPS-3",
    title: "Documentation kept true",
    description:
      "Security documentation is generated from, or checked against, the code: the controls matrix in `docs/security/controls.md` is generated from this registry, and a test fails when it is stale, when it cites a file or test that does not exist, or when a control claims to be built without evidence. The remaining security documents (who may do what, handling incidents, rotating keys, keeping data) follow the same rule.",
    status: "partial",
    issue: 19,
    implementation: ["lib/controls/index.ts", "lib/controls/doc.ts", "scripts/generate-controls-doc.ts", "docs/security/controls.md"],
    evidence: [
      evidence(REGISTRY, "docs/security/controls.md is the registry's current rendering"),
      evidence(REGISTRY, "every referenced implementation file exists"),
      evidence(REGISTRY, "every referenced test exists and names the test"),
    ],
    limitations: ["Only the controls matrix exists; the other security documents and a check of every document's references arrive with #19."],
  },
  {
    id: "OPS-4",
    title: "Feature flags with staged rollout",
    description:
      "Every flag is described in one file, `config/feature-flags.json` (description, kind, default, rollout), and may be overridden per flag from the environment (`FLAG_<NAME>=off|everyone|orgs:<org>,...|admins:<org>,...`). Both are validated with Zod where the rest of the configuration is (`lib/env.ts`, so a bad one fails `next build` and start-up): an unknown flag name, a malformed rollout, a security flag relabelled or defaulting off all stop start-up. Feature flags roll out in stages: off, owners and admins of chosen organisations, everyone in chosen organisations, everyone (`isEnabled(flag, { orgId, role })`, pure); URL import and the GraphQL endpoint are gated by them (the form hidden, the routes 404). The security flags (virus scan, quarantine, CSRF, rate limits, audit hash chain, MFA enforcement) default on, are on or off for everyone, and each switches its control where it is enforced: the scanner, the storage area uploads land in, the proxy's Origin check, every rate limiter. The audit hash chain and MFA enforcement cannot be turned off (the database enforces them too), and configuration that tries is refused with the reason. In production a security flag that is off stops start-up, naming the flag, unless `FEATURE_FLAGS_ACKNOWLEDGE_OFF` names it; running with one off is then recorded once per organisation, across every instance, as a high-severity `security.flag_off` audit entry (alerted) before the organisation's first tenant transaction, and a failure to record it fails that transaction. Admins see every flag's state, stage and source at Settings › Flags.",
    status: "implemented",
    implementation: [
      "config/feature-flags.json",
      "lib/flags/definitions.ts",
      "lib/flags/parse.ts",
      "lib/flags/index.ts",
      "lib/flags/record.ts",
      "lib/flags/live-check.ts",
      "lib/env.ts",
      "supabase/migrations/20261204010000_security_flag_states.sql",
      "app/(dashboard)/settings/flags/page.tsx",
    ],
    evidence: [
      evidence(FLAGS_UNIT, "off without acknowledgement -> start-up refused, naming the flag and the acknowledgement"),
      evidence(FLAGS_UNIT, "the real start-up (next.config.ts, which imports lib/env.ts) refuses, with a clear message, and exits non-zero"),
      evidence(FLAGS_UNIT, "refuses an override of an unknown flag"),
      evidence(FLAGS_UNIT, "cannot be turned off, in any environment, and the refusal says why"),
      evidence(FLAGS_UNIT, "each stage reaches a subset of the next one"),
      evidence(FLAGS_INTEGRATION, "virus_scan off: no scan runs although a scanner is configured"),
      evidence(FLAGS_INTEGRATION, "quarantine off: the bytes land in the served area at once"),
      evidence(FLAGS_INTEGRATION, "csrf off: the proxy lets a cross-site, cookie-carrying POST through"),
      evidence(FLAGS_INTEGRATION, "rate_limits off: a limiter allows every request without counting"),
      evidence(FLAGS_INTEGRATION, "two writers at once (two instances starting)"),
      evidence(FLAGS_INTEGRATION, "graphql: 404 for a key of an org outside the rollout"),
      evidence(FLAGS_INTEGRATION, "url_import admin-first"),
      evidence(FLAGS_PAGE, "shows owners every flag with its state here, stage, source and kind"),
      evidence(FLAGS_PAGE, "tells members the page is for admins"),
    ],
    limitations: [
      "With the quarantine flag off, a document the scanner never decided (no scanner, or its job died) lies in the served area and is not picked up by the scheduled scan sweep, which looks in quarantine; an admin's re-scan still works.",
      "A flag back on is recorded (`flag.security_restored`) when an instance with it on first serves the organisation; an organisation that is never served again keeps its last recorded state.",
    ],
  },
  {
    id: "OPS-5",
    title: "Responsible disclosure and dependency updates",
    description:
      "TenantGuard publishes `SECURITY.md` and an RFC 9116 `/.well-known/security.txt` with an expiry kept in the future, and dependency updates are automated (Dependabot or Renovate).",
    status: "planned",
    issue: 19,
    implementation: [],
    evidence: [],
  },
]);
