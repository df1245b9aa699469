import { evidence, family } from "../types";

const REGISTRY = "tests/unit/controls-registry.test.ts";

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
    implementation: ["lib/controls/index.ts", "lib/controls/doc.ts", "scripts/generate-controls-doc.ts", "docs/security/controls.md", "lib/security-center/run.ts", "lib/security-center/controls-table.ts", "app/(dashboard)/security/page.tsx", "supabase/migrations/20261204040000_control_check_runs.sql"],
    evidence: [
      evidence(REGISTRY, "docs/security/controls.md is the registry's current rendering"),
      evidence(REGISTRY, "every referenced implementation file exists"),
      evidence(REGISTRY, "every referenced test exists and names the test"),
      evidence("tests/integration/security-center.test.ts", "an admin's Run now stores the outcome in the org, audited"),
      evidence("tests/integration/security-center.test.ts", "stored runs are the org's own"),
      evidence("tests/integration/security-center.test.ts", "the page explains it is for admins to members and guests"),
      evidence("tests/e2e/admin-day.e2e.ts", "opens the Security Center and runs every check"),
    ],
    limitations: ["Only the controls matrix exists; the other security documents and a check of every document's references arrive with #19."],
  },
  {
    id: "OPS-4",
    title: "Feature flags with staged rollout",
    description:
      "Feature flags live in one file with environment overrides and a staged rollout (admins of chosen organisations first). Security flags default on, and switching one off in production needs an explicit acknowledgement and is audited.",
    status: "planned",
    issue: 19,
    implementation: [],
    evidence: [],
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
