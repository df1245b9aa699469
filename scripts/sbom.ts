/**
 * OPS-2: `npm run sbom` (also the last step of `npm run build`): the CycloneDX JSON SBOM of the production
 * dependencies, written where the app reads it (lib/ops/sbom.ts SBOM_PATH). cyclonedx-npm reads the installed tree
 * through `npm ls` (no network). The output is reproducible: the same lockfile gives the same file and SHA-256.
 *
 *   npm run sbom [-- --output <file>]     (default: sbom/tenantguard.cdx.json)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { runIfInvokedDirectly } from "./lib/cli";
import { PACKAGE_NAME, RUNNING_VERSION, SBOM_PATH, parseSbom, readSbom } from "../lib/ops/sbom";

export async function main(): Promise<number> {
  const { values } = parseArgs({ options: { output: { type: "string", short: "o" } }, allowPositionals: false });
  const output = values.output ? path.resolve(values.output) : SBOM_PATH;
  const bin = path.join(process.cwd(), "node_modules", ".bin", "cyclonedx-npm");
  mkdirSync(path.dirname(output), { recursive: true });

  const run = spawnSync(bin, ["--omit", "dev", "--output-format", "JSON", "--output-reproducible", "--mc-type", "application", "--validate", "--output-file", output], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (run.error || run.status !== 0) {
    console.error(`sbom: cyclonedx-npm failed (${run.error ? run.error.message : `exit status ${run.status}`}); no SBOM was written for this build.`);
    return 1;
  }

  const sbom = await readSbom(output);
  const facts = sbom ? parseSbom(sbom.text) : null;
  if (!sbom || !facts || facts.name !== PACKAGE_NAME || facts.version !== RUNNING_VERSION) {
    console.error(`sbom: ${output} does not describe ${PACKAGE_NAME} ${RUNNING_VERSION}.`);
    return 1;
  }
  console.log(`sbom: ${path.relative(process.cwd(), output)}: CycloneDX ${facts.specVersion}, ${facts.name} ${facts.version}, ${facts.componentCount} components, sha256 ${sbom.sha256}`);
  return 0;
}

runIfInvokedDirectly(import.meta.url, main);
