import { CONTROLS, LIVE_CHECKS, liveChecksOf, type LiveCheckId } from "./index";
import { CONTROL_FAMILIES, type Control, type ControlFamily, type ControlStatus } from "./types";

/** Where the generated document lives, and how a repository path is linked from it. */
export const CONTROLS_DOC_PATH = "docs/security/controls.md";
const TO_ROOT = "../../";

function link(path: string, text: string = path): string {
  // Route groups like app/(auth) would end a markdown link early: percent-encode the parentheses.
  return `[${cell(text)}](${TO_ROOT}${path.replace(/\(/g, "%28").replace(/\)/g, "%29")})`;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function statusCell(control: Control): string {
  return control.issue === undefined ? control.status : `${control.status} (#${control.issue})`;
}

function row(control: Control): string {
  const implementation = control.implementation.map((p) => link(p)).join("<br>") || "–";
  const evidence = control.evidence.map((e) => `${link(e.file)}: “${cell(e.test)}”`).join("<br>") || "–";
  const checks = liveChecksOf(control.id).map((c) => `\`${c}\``).join("<br>") || "–";
  const limitations = (control.limitations ?? []).map(cell).join("<br>") || "–";
  return `| ${control.id} | ${cell(control.title)} | ${statusCell(control)} | ${cell(control.description)} | ${implementation} | ${evidence} | ${checks} | ${limitations} |`;
}

function counts(controls: readonly Control[]): Record<ControlStatus, number> {
  const out: Record<ControlStatus, number> = { implemented: 0, partial: 0, planned: 0 };
  for (const c of controls) out[c.status]++;
  return out;
}

/** The whole of docs/security/controls.md, rendered from the registry (deterministic: no dates, no machine facts). */
export function renderControlsDoc(controls: readonly Control[] = CONTROLS): string {
  const total = counts(controls);
  const lines: string[] = [
    "<!-- Generated from lib/controls by `npm run controls:doc`. Do not edit by hand: tests/unit/controls-registry.test.ts fails when this file differs from the registry. -->",
    "",
    "# Security controls",
    "",
    "Every control TenantGuard promises, with what it guarantees, where it is implemented, the tests that fail when it",
    "breaks, and the live checks the running app can execute (`npm run controls:check`). This page is generated from the",
    "registry in [`lib/controls`](../../lib/controls/index.ts); to change it, edit the registry and run `npm run controls:doc`.",
    "",
    "Status: **implemented** (built and proven by the evidence listed), **partial** (what exists is proven; the issue named",
    "builds the rest), **planned** (not built yet; the issue named builds it).",
    "",
    `${controls.length} controls: ${total.implemented} implemented, ${total.partial} partial, ${total.planned} planned.`,
    "",
    "| family | controls | implemented | partial | planned |",
    "|---|---:|---:|---:|---:|",
  ];
  const families = Object.keys(CONTROL_FAMILIES) as ControlFamily[];
  for (const family of families) {
    const of = controls.filter((c) => c.family === family);
    if (of.length === 0) continue;
    const n = counts(of);
    lines.push(`| [${family}: ${CONTROL_FAMILIES[family]}](#${family.toLowerCase()}) | ${of.length} | ${n.implemented} | ${n.partial} | ${n.planned} |`);
  }
  for (const family of families) {
    const of = controls.filter((c) => c.family === family);
    if (of.length === 0) continue;
    lines.push(
      "",
      `<a id="${family.toLowerCase()}"></a>`,
      "",
      `## ${family}: ${CONTROL_FAMILIES[family]}`,
      "",
      "| id | title | status | what TenantGuard guarantees | implementation | evidence | live check | limitations |",
      "|---|---|---|---|---|---|---|---|",
      ...of.map(row),
    );
  }
  lines.push(
    "",
    "## Live checks",
    "",
    "Run against the running system by `npm run controls:check` (exits non-zero when a check fails). Each answers",
    "`pass`, `fail`, `warn` or `not_applicable` with a detail that carries no secrets.",
    "",
    "| check | what it verifies | controls |",
    "|---|---|---|",
    ...(Object.keys(LIVE_CHECKS) as LiveCheckId[]).map((id) => `| \`${id}\` | ${cell(LIVE_CHECKS[id].summary)} | ${LIVE_CHECKS[id].controls.join(", ")} |`),
    "",
  );
  return lines.join("\n");
}
