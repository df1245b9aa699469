import { verify, type KeyObject } from "node:crypto";
import { unzipSync } from "fflate";
import { checkpointSignatureValid, type SignedCheckpoint } from "@/lib/audit/signing";
import { MANIFEST_FILE, MANIFEST_SIGNATURE_LABEL, OSCAL_FILE, OSCAL_VERSION, PACK_FORMAT, SIGNATURE_FILE, sha256Hex, type Manifest, type ManifestSignature } from "./format";

/**
 * OPS-3: verifies an evidence pack offline, with no database and no network: every file the manifest lists is in the
 * archive with its SHA-256, nothing else is, the manifest's Ed25519 signature verifies under the given public keys,
 * the audit checkpoint inside verifies under them too, and the OSCAL document has the fields OSCAL 1.1 requires.
 * The first problem found is the answer, named precisely.
 */
export type PackProblem =
  | "not_a_zip"
  | "manifest_missing"
  | "manifest_invalid"
  | "signature_missing"
  | "signature_invalid"
  | "file_missing"
  | "file_changed"
  | "file_unlisted"
  | "checkpoint_invalid"
  | "oscal_invalid";

export type PackVerdict =
  | { ok: true; orgId: string; asOf: string | null; files: number; keyId: string }
  | { ok: false; problem: PackProblem; detail: string };

const fail = (problem: PackProblem, detail: string): PackVerdict => ({ ok: false, problem, detail });

const SAFE_PATH = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;
const SHA256 = /^[0-9a-f]{64}$/;

function parseManifest(text: string): Manifest | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return "manifest.json is not JSON";
  }
  const m = doc as Partial<Manifest>;
  if (!m || typeof m !== "object" || m.format !== PACK_FORMAT) return `manifest.json is not a ${PACK_FORMAT} manifest`;
  if (typeof m.org_id !== "string" || !Array.isArray(m.files)) return "manifest.json lacks org_id or files";
  const seen = new Set<string>();
  for (const f of m.files) {
    if (!f || typeof f.path !== "string" || !SAFE_PATH.test(f.path) || typeof f.sha256 !== "string" || !SHA256.test(f.sha256) || typeof f.bytes !== "number") {
      return `manifest.json has a malformed entry: ${JSON.stringify(f)}`;
    }
    if (f.path === MANIFEST_FILE || f.path === SIGNATURE_FILE) return `manifest.json lists ${f.path}, which it cannot cover`;
    if (seen.has(f.path)) return `manifest.json lists ${f.path} twice`;
    seen.add(f.path);
  }
  return m as Manifest;
}

function parseSignature(text: string): ManifestSignature | null {
  try {
    const s = JSON.parse(text) as Partial<ManifestSignature>;
    if (s.alg !== "Ed25519" || typeof s.key_id !== "string" || s.signs !== MANIFEST_FILE || typeof s.signature !== "string") return null;
    return s as ManifestSignature;
  } catch {
    return null;
  }
}

/** The OSCAL fields a reader needs: a problem description, or null when the document has them. */
export function oscalProblem(text: string): string | null {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return "is not JSON";
  }
  const ar = doc["assessment-results"] as Record<string, unknown> | undefined;
  if (!ar || typeof ar !== "object") return "has no assessment-results";
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  if (typeof ar.uuid !== "string" || !uuid.test(ar.uuid)) return "assessment-results.uuid is missing or not a UUID";
  const meta = ar.metadata as Record<string, unknown> | undefined;
  if (!meta || typeof meta.title !== "string" || typeof meta["last-modified"] !== "string" || typeof meta.version !== "string" || meta["oscal-version"] !== OSCAL_VERSION) {
    return "metadata lacks title, last-modified, version or oscal-version";
  }
  const ap = ar["import-ap"] as Record<string, unknown> | undefined;
  if (!ap || typeof ap.href !== "string") return "import-ap.href is missing";
  const results = ar.results;
  if (!Array.isArray(results) || results.length === 0) return "results is empty";
  for (const r of results as Record<string, unknown>[]) {
    if (typeof r.uuid !== "string" || !uuid.test(r.uuid) || typeof r.title !== "string" || typeof r.description !== "string" || typeof r.start !== "string") {
      return "a result lacks uuid, title, description or start";
    }
    const reviewed = r["reviewed-controls"] as Record<string, unknown> | undefined;
    if (!reviewed || !Array.isArray(reviewed["control-selections"])) return "a result lacks reviewed-controls.control-selections";
    const observations = (r.observations ?? []) as Record<string, unknown>[];
    const ids = new Set(observations.map((o) => o.uuid));
    for (const o of observations) {
      if (typeof o.uuid !== "string" || !uuid.test(o.uuid) || typeof o.description !== "string" || !Array.isArray(o.methods) || typeof o.collected !== "string") {
        return "an observation lacks uuid, description, methods or collected";
      }
    }
    for (const f of (r.findings ?? []) as Record<string, unknown>[]) {
      const target = f.target as Record<string, unknown> | undefined;
      const status = target?.status as Record<string, unknown> | undefined;
      if (typeof f.uuid !== "string" || !uuid.test(f.uuid) || typeof f.title !== "string" || typeof f.description !== "string" || !target || typeof target["target-id"] !== "string" || (status?.state !== "satisfied" && status?.state !== "not-satisfied")) {
        return "a finding lacks uuid, title, description or a target with a satisfied / not-satisfied state";
      }
      for (const rel of (f["related-observations"] ?? []) as { "observation-uuid"?: string }[]) {
        if (!ids.has(rel["observation-uuid"])) return `finding ${String(f.uuid)} cites an observation that is not in the result`;
      }
    }
  }
  return null;
}

export function verifyEvidencePack(archive: Uint8Array, publicKeys: ReadonlyMap<string, KeyObject>): PackVerdict {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(archive);
  } catch {
    return fail("not_a_zip", "the file is not a zip archive");
  }
  const manifestBytes = files[MANIFEST_FILE];
  if (!manifestBytes) return fail("manifest_missing", `${MANIFEST_FILE} is not in the archive`);
  const manifestText = Buffer.from(manifestBytes).toString("utf8");
  const manifest = parseManifest(manifestText);
  if (typeof manifest === "string") return fail("manifest_invalid", manifest);

  // The signature first: until it verifies, nothing the manifest says is trusted.
  const signatureBytes = files[SIGNATURE_FILE];
  if (!signatureBytes) return fail("signature_missing", `${SIGNATURE_FILE} is not in the archive`);
  const sig = parseSignature(Buffer.from(signatureBytes).toString("utf8"));
  if (!sig) return fail("signature_invalid", `${SIGNATURE_FILE} is not an Ed25519 manifest signature`);
  const key = publicKeys.get(sig.key_id);
  if (!key) return fail("signature_invalid", `the manifest is signed with key ${sig.key_id}, which is not among the public keys given`);
  let valid = false;
  try {
    valid = verify(null, Buffer.concat([Buffer.from(MANIFEST_SIGNATURE_LABEL, "utf8"), manifestBytes]), key, Buffer.from(sig.signature, "base64url"));
  } catch {
    valid = false;
  }
  if (!valid) return fail("signature_invalid", `the signature in ${SIGNATURE_FILE} does not verify for ${MANIFEST_FILE} under key ${sig.key_id}`);

  const listed = new Set(manifest.files.map((f) => f.path));
  for (const entry of manifest.files) {
    const bytes = files[entry.path];
    if (!bytes) return fail("file_missing", `${entry.path} is listed in the manifest but not in the archive`);
    const actual = sha256Hex(bytes);
    if (actual !== entry.sha256 || bytes.length !== entry.bytes) {
      return fail("file_changed", `${entry.path} does not match the manifest (sha256 ${actual}, ${bytes.length} bytes; manifest: ${entry.sha256}, ${entry.bytes} bytes)`);
    }
  }
  const extra = Object.keys(files).filter((name) => name !== MANIFEST_FILE && name !== SIGNATURE_FILE && !listed.has(name)).sort();
  if (extra.length > 0) return fail("file_unlisted", `the archive holds file(s) the manifest does not list: ${extra.join(", ")}`);

  const checkpointBytes = files["checkpoint.json"];
  if (checkpointBytes) {
    const doc = JSON.parse(Buffer.from(checkpointBytes).toString("utf8")) as { checkpoint: SignedCheckpoint | null };
    if (doc.checkpoint && (doc.checkpoint.org_id !== manifest.org_id || !checkpointSignatureValid(doc.checkpoint, publicKeys))) {
      return fail("checkpoint_invalid", `the audit checkpoint in checkpoint.json (seq ${doc.checkpoint.seq}) does not verify for org ${manifest.org_id} under the public keys given`);
    }
  }
  const oscal = files[OSCAL_FILE];
  if (!oscal) return fail("oscal_invalid", `${OSCAL_FILE} is not in the archive`);
  const problem = oscalProblem(Buffer.from(oscal).toString("utf8"));
  if (problem) return fail("oscal_invalid", `${OSCAL_FILE} ${problem}`);
  return { ok: true, orgId: manifest.org_id, asOf: manifest.as_of, files: manifest.files.length, keyId: sig.key_id };
}
