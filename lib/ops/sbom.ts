import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";

/**
 * OPS-2: the CycloneDX SBOM of the running build, written by `npm run sbom` (run by `npm run build`). Not served
 * publicly; admins read it through the app, and the evidence pack records its SHA-256.
 */
export const SBOM_PATH = path.join(process.cwd(), "sbom", "tenantguard.cdx.json");

export interface Sbom {
  text: string;
  sha256: string;
}

/** The SBOM file as written, or null when this build has none. */
export async function readSbom(file: string = SBOM_PATH): Promise<Sbom | null> {
  try {
    const text = await readFile(file, "utf8");
    return { text, sha256: createHash("sha256").update(text).digest("hex") };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}
