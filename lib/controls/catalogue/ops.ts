import { evidence, family } from "../types";

const REGISTRY = "tests/unit/controls-registry.test.ts";
const WORKFLOW = "tests/unit/ci-workflow.test.ts";
const AUDIT = "tests/unit/audit-deps.test.ts";
const HOOK = "tests/unit/pre-commit-hook.test.ts";
const SBOM = "tests/integration/sbom.test.ts";
const SECURITY_TXT = "tests/integration/security-txt.test.ts";
const E2E = "tests/e2e/supply-chain.e2e.ts";
const PACK = "tests/integration/evidence-pack.test.ts";
const DOWNLOAD = "tests/integration/evidence-download.test.ts";
const FLAGS_UNIT = "tests/unit/feature-flags.test.ts";
const FLAGS_INTEGRATION = "tests/integration/feature-flags.test.ts";
const FLAGS_PAGE = "tests/integration/flags-page.test.ts";

export const OPS = family("OPS", [
  {
    id: "OPS-1",
    title: "CI gate on every change",
    description:
      "One script, `.ci/run`, is the gate every change must pass: a frozen install (`npm ci`), the dependency audit, lint, typecheck, the whole test suite on embedded defaults and again against real PostgreSQL and Redis, then the end-to-end tests in a real browser against the production build. A GitHub Actions workflow runs that same script on every push and pull request (Debian with Node 20, PostgreSQL 15, Redis, Chromium and ClamAV, 20 minutes at most), so the gate a contributor sees is the one the project runs.",
    status: "implemented",
    implementation: [".ci/run", ".github/workflows/ci.yml", "package-lock.json", "eslint.config.mjs"],
    evidence: [
      evidence(REGISTRY, "OPS-1: .ci/run runs a frozen install, lint, typecheck and the suite on both engines"),
      evidence(WORKFLOW, "runs on every push and every pull request"),
      evidence(WORKFLOW, "calls .ci/run, the one definition of the gate"),
      evidence(WORKFLOW, "runs on Node 20"),
      evidence(WORKFLOW, "every job has a timeout of at most 20 minutes"),
      evidence(WORKFLOW, "every action is pinned to a full commit SHA"),
    ],
    limitations: ["The hosted workflow cannot run on the development machine (it pulls no images): its syntax and shape are tested, and its runs on GitHub are the proof that it works there."],
  },
  {
    id: "OPS-2",
    title: "Dependency audit, SBOM, secret-blocking hook",
    description:
      "CI audits production dependencies and fails on high and critical advisories; where the advisory service cannot be reached the gate says it could not check, never that it passed, and the hosted workflow treats that as a failure. Every build writes a CycloneDX SBOM of its production dependencies, which admins see (version, component count, SHA-256) and download, and a live check confirms it describes the running version. A pre-commit hook refuses staged `.env` files other than `.env.example`, private keys and credentials in TenantGuard's own formats (API keys, invite and project links, refresh tokens, key-encryption keys) and webhook and live Stripe secrets, naming the file and line but never the secret.",
    status: "implemented",
    implementation: [
      "scripts/audit-deps.mjs",
      "scripts/sbom.ts",
      "lib/ops/sbom.ts",
      "lib/ops/check.ts",
      "app/(dashboard)/settings/sbom/page.tsx",
      "app/(dashboard)/settings/sbom/download/route.ts",
      "scripts/check-staged-secrets.mjs",
      "scripts/prepare-git-hooks.mjs",
      ".husky/pre-commit",
      ".lintstagedrc.json",
    ],
    evidence: [
      evidence(AUDIT, "a high advisory fails the audit and names the package"),
      evidence(AUDIT, "only low advisories pass, with the counts"),
      evidence(AUDIT, "the advisory endpoint answering 405 is 'could not run'"),
      evidence(AUDIT, ".ci/run goes on with 'could not check' (not 'passed')"),
      evidence(AUDIT, ".ci/run fails when the audit cannot run and AUDIT_REQUIRED=1"),
      evidence(WORKFLOW, "runs the dependency audit where the advisory service is reachable"),
      evidence(SBOM, "npm run sbom writes CycloneDX JSON for this package and version"),
      evidence(SBOM, "the live check fails for an SBOM of another version"),
      evidence(SBOM, "owners and admins see the version, component count and SHA-256; members are told it is for admins"),
      evidence(SBOM, "the download is the file itself for admins"),
      evidence(E2E, "SBOM: an owner sees the running version, component count and the file's SHA-256 and downloads it; a member is told it is for admins"),
      evidence(HOOK, "refuses .env files other than .env.example"),
      evidence(HOOK, "naming the file and line but not the secret"),
      evidence(HOOK, "the assertions fail against a hook that does not run the check (fixture)"),
      evidence(HOOK, "a secret committed past the hook (--no-verify) fails the gate's check of every tracked file"),
      evidence(HOOK, "never fails an install"),
    ],
    limitations: [
      "On the development machine the registry mirror answers the advisory endpoint with 405: there the audit reports that it could not check; advisories are checked by the hosted workflow and Dependabot.",
      "A pre-commit hook runs on the contributor's machine and can be skipped (`git commit --no-verify`); the gate then still checks every tracked file as checked out, but not the history.",
    ],
  },
  {
    id: "OPS-3",
    title: "Documentation kept true",
    description:
      "Security documentation is generated from, or checked against, the code: the controls matrix in `docs/security/controls.md` and the matrix in `docs/security/overview.md` are generated from this registry, and a test fails when either is stale, when it cites a file or test that does not exist, or when a control claims to be built without evidence. The security documents (overview, access control, incident response, key rotation, data retention, threat model) and every other document are checked too: a test fails when one names a repository file, an npm script, a route, an environment variable, a control ID or a test file that does not exist, printing the document, the line and the reference. Owners and admins see the registry live in the Security Center (`/security`): each control's status from its live checks, run against the running system for their organisation, stored per org and audited. For auditors, the evidence pack (`npm run evidence`, or the admins' download at /security/evidence, audited and behind a fresh second factor where the org requires one) is a deterministic zip of every control's live result, the population behind each check (queries, row counts, hashes over the canonical rows in the org's row-level security scope), the signed audit checkpoint, the app version and SBOM hash, in Markdown, JSON and OSCAL assessment-results, with a SHA-256 manifest signed by the audit signing key; `npm run verify:evidence` checks it offline.",
    status: "implemented",
    implementation: ["lib/controls/index.ts", "lib/controls/doc.ts", "scripts/generate-controls-doc.ts", "docs/security/controls.md", "docs/security/overview.md", "tests/helpers/docs-references.ts", "lib/security-center/run.ts", "lib/security-center/controls-table.ts", "app/(dashboard)/security/page.tsx", "supabase/migrations/20261204040000_control_check_runs.sql", "lib/evidence/pack.ts", "lib/evidence/populations.ts", "lib/evidence/verify.ts", "lib/evidence/export.ts", "scripts/evidence.ts", "scripts/verify-evidence.ts", "docs/evidence-pack.md"],
    evidence: [
      evidence(REGISTRY, "docs/security/controls.md is the registry's current rendering"),
      evidence(REGISTRY, "every referenced implementation file exists"),
      evidence(REGISTRY, "every referenced test exists and names the test"),
      evidence("tests/unit/docs-references.test.ts", "every file, script, route, environment variable, control ID and test a document names exists"),
      evidence("tests/unit/docs-references.test.ts", "a document that breaks each kind of reference fails"),
      evidence("tests/unit/docs-references.test.ts", "the security overview's controls matrix is the registry's current rendering"),
      evidence("tests/integration/security-center.test.ts", "an admin's Run now stores the outcome in the org, audited"),
      evidence("tests/integration/security-center.test.ts", "stored runs are the org's own"),
      evidence("tests/integration/security-center.test.ts", "the page explains it is for admins to members"),
      evidence("tests/e2e/admin-day.e2e.ts", "opens the Security Center and runs every check"),
      evidence(PACK, "the same state gives a byte-identical archive"),
      evidence(PACK, "changes when a check's state changes"),
      evidence(PACK, "runs every population query in the org's scope"),
      evidence(PACK, "fails on %s"),
      evidence(PACK, "fails under a key that did not sign it"),
      evidence(DOWNLOAD, "an admin without a fresh second factor is refused"),
      evidence(DOWNLOAD, "a member or guest gets 404 from the download"),
      evidence(DOWNLOAD, "the export is audited with the pack's manifest hash"),
      evidence(DOWNLOAD, "exports are limited per organisation"),
    ],
    limitations: ["A reference is checked for existence, not for meaning: a document can still describe an existing file's behaviour wrongly."],
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
      "TenantGuard publishes `SECURITY.md` (how to report, scope, response times, safe harbour), a disclosure policy page and an RFC 9116 `/.well-known/security.txt` (Contact from `SECURITY_CONTACT` or `security@` the deployment's host, Expires, Preferred-Languages, Canonical from `APP_URL`, Policy) served as UTF-8 text with the security headers of every response. Its Expires is a date set at each review: a test fails and the live check warns 30 days before it, and the check fails once it has passed. Dependabot proposes updates of npm packages and of the workflow's actions every week.",
    status: "implemented",
    implementation: ["SECURITY.md", "lib/security/security-txt.ts", "app/.well-known/security.txt/route.ts", "app/(marketing)/disclosure/page.tsx", ".github/dependabot.yml"],
    evidence: [
      evidence(SECURITY_TXT, "is served as text/plain; charset=utf-8 with every field RFC 9116 requires"),
      evidence(SECURITY_TXT, "Canonical is this deployment's URL for the file, from APP_URL"),
      evidence(SECURITY_TXT, "days ahead and less than a year"),
      evidence(SECURITY_TXT, "the live check passes now, warns within 30 days of Expires"),
      evidence(SECURITY_TXT, "promises the same response times as the disclosure page"),
      evidence(E2E, "security.txt: text/plain UTF-8, the configured contact, a future Expires"),
      evidence(E2E, "the disclosure page names the contact and the response times, signed out"),
      evidence(WORKFLOW, "Dependabot proposes updates for npm packages and for the workflow's actions"),
    ],
  },
]);
