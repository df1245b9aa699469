import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import packageJson from "../../package.json";

/**
 * OPS-2: the CycloneDX SBOM of the running build, written by `npm run sbom` (run by `npm run build`). Not served
 * publicly; admins read it through the app, and the evidence pack records its SHA-256.
 */
export const SBOM_PATH = path.join(process.cwd(), "sbom", "tenantguard.cdx.json");

/** The version of the code that is running: package.json as it was when this build was made. */
export const RUNNING_VERSION: string = packageJson.version;
export const PACKAGE_NAME: string = packageJson.name;

export interface Sbom {
  text: string;
  sha256: string;
}

/** The SBOM file as written, or null when this build has none. */
export async function readSbom(file: string = SBOM_PATH): Promise<Sbom | null> {
  try {
    // The file is written after `next build`, beside the build (not traced into it).
    const text = await readFile(/*turbopackIgnore: true*/ file, "utf8");
    return { text, sha256: createHash("sha256").update(text).digest("hex") };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** What an SBOM says about itself: enough to tell which build it describes and how much it lists. */
export interface SbomFacts {
  specVersion: string;
  name: string;
  version: string;
  /** Every component, nested ones included. */
  componentCount: number;
}

interface BomComponent {
  components?: BomComponent[];
}

function countComponents(list: BomComponent[] | undefined): number {
  if (!Array.isArray(list)) return 0;
  return list.reduce((n, c) => n + 1 + countComponents(c?.components), 0);
}

/** Parses a CycloneDX JSON document; throws with a plain reason when the text is not one. */
export function parseSbom(text: string): SbomFacts {
  let bom: { bomFormat?: unknown; specVersion?: unknown; metadata?: { component?: { name?: unknown; version?: unknown } }; components?: BomComponent[] };
  try {
    bom = JSON.parse(text);
  } catch {
    throw new Error("the SBOM is not JSON");
  }
  if (!bom || bom.bomFormat !== "CycloneDX") throw new Error("the SBOM is not a CycloneDX document (bomFormat)");
  if (typeof bom.specVersion !== "string") throw new Error("the SBOM has no specVersion");
  const component = bom.metadata?.component;
  if (typeof component?.name !== "string" || typeof component.version !== "string") throw new Error("the SBOM does not name the application it describes (metadata.component)");
  return { specVersion: bom.specVersion, name: component.name, version: component.version, componentCount: countComponents(bom.components) };
}

/** The admins' view of the build's SBOM (settings/sbom). */
export type SbomSummary =
  | { present: false; runningVersion: string }
  | { present: true; runningVersion: string; sha256: string; bytes: number; writtenAt: Date; facts: SbomFacts | null; problem: string | null; matchesRunningVersion: boolean };

export async function sbomSummary(file: string = SBOM_PATH): Promise<SbomSummary> {
  const sbom = await readSbom(file);
  if (!sbom) return { present: false, runningVersion: RUNNING_VERSION };
  const writtenAt = (await stat(/*turbopackIgnore: true*/ file)).mtime;
  let facts: SbomFacts | null = null;
  let problem: string | null = null;
  try {
    facts = parseSbom(sbom.text);
  } catch (error) {
    problem = (error as Error).message;
  }
  return {
    present: true,
    runningVersion: RUNNING_VERSION,
    sha256: sbom.sha256,
    bytes: Buffer.byteLength(sbom.text),
    writtenAt,
    facts,
    problem,
    matchesRunningVersion: facts !== null && facts.name === PACKAGE_NAME && facts.version === RUNNING_VERSION,
  };
}
