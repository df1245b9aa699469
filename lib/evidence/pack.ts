import "server-only";
import { sign } from "node:crypto";
import { zipSync, type Zippable } from "fflate";
import { withTenant, type Queryable, type TenantClaims } from "@/lib/db";
import { auditSigningKey, checkpointInTransaction } from "@/lib/audit/checkpoints";
import { publicKeyDocument } from "@/lib/audit/signing";
import { CONTROLS, liveChecksOf } from "@/lib/controls";
import { runControlChecks } from "@/lib/controls/checks";
import { env } from "@/lib/env";
import { readSbom } from "@/lib/ops/sbom";
import { MANIFEST_FILE, MANIFEST_SIGNATURE_LABEL, PACK_FORMAT, SIGNATURE_FILE, ZIP_MTIME, sha256Hex, stableJson, type Manifest, type ManifestSignature } from "./format";
import { normaliseDetail } from "./normalise";
import { collectPopulations } from "./populations";
import { controlResult, renderFiles, type EvidenceState } from "./render";

export interface EvidencePack {
  zip: Uint8Array;
  manifest: Manifest;
  /** SHA-256 of manifest.json's bytes: what the export's audit entry records. */
  manifestSha256: string;
  state: EvidenceState;
}

/**
 * The org's part of the state, in its tenant transaction: a checkpoint of the chain's current head is signed first
 * (an existing one when the head has not moved, as the audit export does), then the populations are read.
 */
async function readTenantEvidence(tx: Queryable, orgId: string): Promise<Pick<EvidenceState, "checkpoint" | "asOf" | "populations">> {
  const checkpoint = await checkpointInTransaction(tx, orgId);
  const [latest] = await tx.query<{ at: string | null }>(
    `select to_char(max(created_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at from public.audit_logs where org_id = $1`,
    [orgId],
  );
  const populations = await collectPopulations(tx, orgId);
  return { checkpoint, asOf: checkpoint?.signed_at ?? latest?.at ?? null, populations };
}

export interface BuildOptions {
  /** Runs first in the tenant transaction (e.g. the fresh second factor); throwing stops the export. */
  authorise?: (tx: Queryable) => Promise<void>;
}

/**
 * OPS-3: the org's evidence pack. Deterministic: the files are a pure function of the state (lib/evidence/render.ts),
 * JSON keys are sorted, zip entries are sorted with a fixed time, volatile parts of check outputs are normalised,
 * and Ed25519 signatures are deterministic, so the same state gives byte-identical archives.
 */
export async function buildEvidencePack(claims: TenantClaims, orgId: string, options: BuildOptions = {}): Promise<EvidencePack> {
  const tenant = await withTenant(claims, async (tx) => {
    await options.authorise?.(tx);
    return readTenantEvidence(tx, orgId);
  });
  const results = await runControlChecks({ orgId });
  const checks = results
    .map((r) => ({ id: r.id, title: r.title, controls: r.controls, status: r.status, detail: normaliseDetail(r.detail, orgId) }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const statusOf = new Map(checks.map((c) => [c.id, c.status]));
  const controls = CONTROLS.map((c) => {
    const ids = liveChecksOf(c.id).slice().sort();
    return { id: c.id, family: c.family, title: c.title, registry_status: c.status, checks: ids, result: controlResult(ids.map((id) => statusOf.get(id)!)) };
  });
  const key = auditSigningKey();
  const sbom = await readSbom();
  const state: EvidenceState = {
    orgId,
    ...tenant,
    appVersion: env.APP_VERSION,
    sbom: sbom ? { sha256: sbom.sha256, bytes: Buffer.byteLength(sbom.text, "utf8") } : null,
    publicKey: publicKeyDocument(key),
    checks,
    controls,
  };
  return packFiles(state, renderFiles(state), key);
}

function packFiles(state: EvidenceState, rendered: Record<string, string>, key: ReturnType<typeof auditSigningKey>): EvidencePack {
  const files = Object.fromEntries(Object.entries(rendered).map(([path, text]) => [path, Buffer.from(text, "utf8")]));
  const paths = Object.keys(files).sort();
  const manifest: Manifest = {
    format: PACK_FORMAT,
    org_id: state.orgId,
    as_of: state.asOf,
    files: paths.map((path) => ({ path, sha256: sha256Hex(files[path]!), bytes: files[path]!.length })),
  };
  const manifestBytes = Buffer.from(stableJson(manifest), "utf8");
  const signature: ManifestSignature = {
    alg: "Ed25519",
    key_id: key.keyId,
    signs: MANIFEST_FILE,
    signature: sign(null, Buffer.concat([Buffer.from(MANIFEST_SIGNATURE_LABEL, "utf8"), manifestBytes]), key.privateKey).toString("base64url"),
  };
  const entries: Zippable = {};
  for (const path of [...paths, MANIFEST_FILE, SIGNATURE_FILE].sort()) {
    const bytes = path === MANIFEST_FILE ? manifestBytes : path === SIGNATURE_FILE ? Buffer.from(stableJson(signature), "utf8") : files[path]!;
    entries[path] = [new Uint8Array(bytes), { mtime: ZIP_MTIME, level: 6 }];
  }
  return { zip: zipSync(entries, { mtime: ZIP_MTIME }), manifest, manifestSha256: sha256Hex(manifestBytes), state };
}
