// OPS-3: writes docs/security/controls.md, and the matrix section of docs/security/overview.md, from the controls
// registry (lib/controls).
//
//   npm run controls:doc        (= tsx scripts/generate-controls-doc.ts)
//
// The output is deterministic; tests/unit/controls-registry.test.ts renders it again in memory and fails when the
// file on disk differs. Exit codes: 0 written (or already current), 2 could not write.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CONTROLS_DOC_PATH, OVERVIEW_DOC_PATH, renderControlsDoc, withControlsMatrix } from "@/lib/controls/doc";
import { messageOf, runIfInvokedDirectly } from "./lib/cli";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export async function main(): Promise<number> {
  const target = path.join(ROOT, CONTROLS_DOC_PATH);
  const rendered = renderControlsDoc();
  let current: string | null = null;
  try {
    current = readFileSync(target, "utf8");
  } catch {
    current = null;
  }
  // The security overview's matrix section (between its markers) is rendered from the same registry.
  const overview = path.join(ROOT, OVERVIEW_DOC_PATH);
  let overviewText: string | null = null;
  try {
    overviewText = readFileSync(overview, "utf8");
  } catch {
    overviewText = null;
  }
  if (overviewText !== null) {
    const updated = withControlsMatrix(overviewText);
    if (updated === null) {
      console.error(`${OVERVIEW_DOC_PATH} has no controls-matrix markers.`);
      return 2;
    }
    if (updated !== overviewText) {
      writeFileSync(overview, updated);
      console.log(`Wrote the controls matrix in ${OVERVIEW_DOC_PATH}.`);
    }
  }
  if (current === rendered) {
    console.log(`${CONTROLS_DOC_PATH} is current.`);
    return 0;
  }
  try {
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, rendered);
  } catch (error) {
    console.error(`Could not write ${CONTROLS_DOC_PATH}: ${messageOf(error)}`);
    return 2;
  }
  console.log(`Wrote ${CONTROLS_DOC_PATH}.`);
  return 0;
}

runIfInvokedDirectly(import.meta.url, main);
