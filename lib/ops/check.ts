import "server-only";
import { env } from "@/lib/env";
import type { CheckResult } from "@/lib/controls/live-checks";
import { SBOM_PATH, sbomSummary } from "./sbom";

/**
 * OPS-2 live check `sbom`: the build carries its CycloneDX SBOM, and that SBOM describes the running version.
 * Missing in production fails (every production build runs `npm run build`, which writes it); in development and
 * tests, where nobody ran the build, it is a warning.
 */
export async function checkSbom(options: { file?: string; production?: boolean } = {}): Promise<CheckResult> {
  const production = options.production ?? env.NODE_ENV === "production";
  const summary = await sbomSummary(options.file ?? SBOM_PATH);
  if (!summary.present) {
    return {
      status: production ? "fail" : "warn",
      detail: `No SBOM for this build (version ${summary.runningVersion}): \`npm run build\` (or \`npm run sbom\`) writes sbom/tenantguard.cdx.json.`,
    };
  }
  if (!summary.facts) return { status: "fail", detail: `The build's SBOM cannot be read: ${summary.problem}.` };
  const { facts } = summary;
  if (!summary.matchesRunningVersion) {
    return { status: "fail", detail: `The SBOM describes ${facts.name} ${facts.version}, but ${summary.runningVersion} is running: it belongs to another build.` };
  }
  return {
    status: "pass",
    // The hash's first 16 hex digits name the file (the admins' page shows all of it); details carry no long hex.
    detail: `CycloneDX ${facts.specVersion} SBOM for ${facts.name} ${facts.version} (the running version): ${facts.componentCount} components, SHA-256 ${summary.sha256.slice(0, 16)}….`,
  };
}
