import { evidence, family } from "../types";

const REGISTRY = "tests/unit/controls-registry.test.ts";
const PACK = "tests/integration/evidence-pack.test.ts";
const DOWNLOAD = "tests/integration/evidence-download.test.ts";

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
      "Security documentation is generated from, or checked against, the code: the controls matrix in `docs/security/controls.md` is generated from this registry, and a test fails when it is stale, when it cites a file or test that does not exist, or when a control claims to be built without evidence. The remaining security documents (who may do what, handling incidents, rotating keys, keeping data) follow the same rule. For auditors, the evidence pack (`npm run evidence`, or the admins' download at /security/evidence, audited and behind a fresh second factor where the org requires one) is a deterministic zip of every control's live result, the population behind each check (queries, row counts, hashes over the canonical rows in the org's row-level security scope), the signed audit checkpoint, the app version and SBOM hash, in Markdown, JSON and OSCAL assessment-results, with a SHA-256 manifest signed by the audit signing key; `npm run verify:evidence` checks it offline.",
    status: "partial",
    issue: 19,
    implementation: [
      "lib/controls/index.ts",
      "lib/controls/doc.ts",
      "scripts/generate-controls-doc.ts",
      "docs/security/controls.md",
      "lib/evidence/pack.ts",
      "lib/evidence/populations.ts",
      "lib/evidence/verify.ts",
      "lib/evidence/export.ts",
      "scripts/evidence.ts",
      "scripts/verify-evidence.ts",
      "docs/evidence-pack.md",
    ],
    evidence: [
      evidence(REGISTRY, "docs/security/controls.md is the registry's current rendering"),
      evidence(REGISTRY, "every referenced implementation file exists"),
      evidence(REGISTRY, "every referenced test exists and names the test"),
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
