import type { PublicKeyDocument, SignedCheckpoint } from "@/lib/audit/signing";
import type { CheckStatus } from "@/lib/controls/live-checks";
import type { ControlStatus } from "@/lib/controls/types";
import { OSCAL_FILE, PACK_FORMAT, sha256Hex, stableJson } from "./format";
import { VOLATILE_RULES, WITHHELD_RULES } from "./normalise";
import { assessmentResults } from "./oscal";
import type { CheckPopulation } from "./populations";

/** What a pack is made of: the state, read once (lib/evidence/pack.ts); the files are a pure function of it. */
export interface EvidenceState {
  orgId: string;
  asOf: string | null;
  appVersion: string;
  sbom: { sha256: string; bytes: number } | null;
  checkpoint: SignedCheckpoint | null;
  publicKey: PublicKeyDocument;
  checks: { id: string; title: string; controls: readonly string[]; status: CheckStatus; detail: string }[];
  controls: { id: string; family: string; title: string; registry_status: ControlStatus; checks: string[]; result: ControlResult }[];
  populations: CheckPopulation[];
}

/** A control's live result: its worst check (fail > warn > pass > not_applicable), or not_checked without one. */
export type ControlResult = CheckStatus | "not_checked";

export function controlResult(statuses: CheckStatus[]): ControlResult {
  if (statuses.length === 0) return "not_checked";
  for (const s of ["fail", "warn", "pass"] as const) if (statuses.includes(s)) return s;
  return "not_applicable";
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

function summary(state: EvidenceState): string {
  const counts = (statuses: string[]) =>
    Object.entries(statuses.reduce<Record<string, number>>((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {}))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([s, n]) => `${n} ${s}`)
      .join(", ");
  const cp = state.checkpoint;
  const lines = [
    `# TenantGuard evidence pack: ${state.orgId}`,
    "",
    `- Format: ${PACK_FORMAT}`,
    `- State as of: ${state.asOf ?? "no audit activity yet (no checkpoint, no audit entry)"}`,
    `- App version: ${state.appVersion}`,
    `- SBOM: ${state.sbom ? `sha256 ${state.sbom.sha256} (${state.sbom.bytes} bytes)` : "none in this build (no SBOM file was found; its hash is null)"}`,
    `- Audit checkpoint: ${cp ? `seq ${cp.seq}, hash ${cp.hash}, signed ${cp.signed_at} with key ${cp.key_id}` : "none (the org's audit chain is empty)"}`,
    `- Signing key: ${state.publicKey.key_id} (Ed25519; public key in public-key.json, to be compared with the deployment's /.well-known/tenantguard-audit-key)`,
    `- Live checks: ${state.checks.length} (${counts(state.checks.map((c) => c.status))})`,
    `- Controls: ${state.controls.length} (${counts(state.controls.map((c) => c.result))})`,
    "",
    "## Live checks",
    "",
    "| Check | Status | Controls | Output |",
    "| --- | --- | --- | --- |",
    ...state.checks.map((c) => `| ${c.id} | ${c.status} | ${c.controls.join(", ")} | ${cell(c.detail)} |`),
    "",
    "## Controls",
    "",
    "| Control | Registry status | Live result | Checks | Title |",
    "| --- | --- | --- | --- | --- |",
    ...state.controls.map((c) => `| ${c.id} | ${c.registry_status} | ${c.result} | ${c.checks.join(", ") || "—"} | ${cell(c.title)} |`),
    "",
    "## Populations",
    "",
    "Each query ran in the org's row-level security scope; the hash is SHA-256 over the rows' canonical JSON, one line per row, lines sorted (docs/evidence-pack.md).",
    "",
    "| Check | Query | Rows | SHA-256 |",
    "| --- | --- | --- | --- |",
    ...state.populations.flatMap((p) =>
      p.queries.length === 0
        ? [`| ${p.check} | — | — | ${cell(p.note ?? "")} |`]
        : p.queries.map((qp) => `| ${p.check} | ${qp.name} | ${qp.row_count ?? `not readable (${qp.error_code})`} | ${qp.sha256 ?? "—"} |`),
    ),
    "",
    "## Verifying this pack",
    "",
    "`npm run verify:evidence -- pack.zip --public-key key.json`, with the key saved from the deployment's `/.well-known/tenantguard-audit-key`: every file's SHA-256 against manifest.json, no file missing or extra, the manifest's signature (manifest.sig), the audit checkpoint's signature and the OSCAL document's shape.",
    "",
  ];
  return lines.join("\n");
}

/** Every file of the pack except the manifest and its signature, by path. */
export function renderFiles(state: EvidenceState): Record<string, string> {
  const controls = stableJson({ format: PACK_FORMAT, org_id: state.orgId, as_of: state.asOf, normalised: VOLATILE_RULES.map((r) => r.description), withheld: [...WITHHELD_RULES.map((r) => r.description), "other organisations' ids"], checks: state.checks, controls: state.controls });
  const populations = stableJson({ format: PACK_FORMAT, org_id: state.orgId, hash: "sha256 over canonical JSON rows, sorted, joined by newlines", populations: state.populations });
  const checkpoint = stableJson({ org_id: state.orgId, checkpoint: state.checkpoint });
  const build = stableJson({
    app_version: state.appVersion,
    sbom: state.sbom ? { format: "CycloneDX JSON", sha256: state.sbom.sha256, bytes: state.sbom.bytes } : null,
    sbom_note: state.sbom ? null : "This build has no SBOM file (sbom/tenantguard.cdx.json is written by `npm run build`); its hash is null.",
  });
  const publicKey = stableJson(state.publicKey);
  const contentHash = sha256Hex([controls, populations, checkpoint, build, publicKey].join("\0"));
  return {
    "build.json": build,
    "checkpoint.json": checkpoint,
    "controls.json": controls,
    [OSCAL_FILE]: stableJson(assessmentResults(state, contentHash)),
    "populations.json": populations,
    "public-key.json": publicKey,
    "summary.md": summary(state),
  };
}
