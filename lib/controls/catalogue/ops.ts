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
      "Security documentation is generated from, or checked against, the code: the controls matrix in `docs/security/controls.md` and the matrix in `docs/security/overview.md` are generated from this registry, and a test fails when either is stale, when it cites a file or test that does not exist, or when a control claims to be built without evidence. The security documents (overview, access control, incident response, key rotation, data retention, threat model) and every other document are checked too: a test fails when one names a repository file, an npm script, a route, an environment variable, a control ID or a test file that does not exist, printing the document, the line and the reference.",
    status: "implemented",
    implementation: ["lib/controls/index.ts", "lib/controls/doc.ts", "scripts/generate-controls-doc.ts", "docs/security/controls.md", "docs/security/overview.md", "tests/helpers/docs-references.ts"],
    evidence: [
      evidence(REGISTRY, "docs/security/controls.md is the registry's current rendering"),
      evidence(REGISTRY, "every referenced implementation file exists"),
      evidence(REGISTRY, "every referenced test exists and names the test"),
      evidence("tests/unit/docs-references.test.ts", "every file, script, route, environment variable, control ID and test a document names exists"),
      evidence("tests/unit/docs-references.test.ts", "a document that breaks each kind of reference fails"),
      evidence("tests/unit/docs-references.test.ts", "the security overview's controls matrix is the registry's current rendering"),
    ],
    limitations: ["A reference is checked for existence, not for meaning: a document can still describe an existing file's behaviour wrongly."],
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
