import { createHash } from "node:crypto";
import { canonicalJson } from "@/lib/audit/chain";

/**
 * OPS-3: the evidence pack's fixed format, shared by the builder (lib/evidence/pack.ts) and the offline verifier
 * (lib/evidence/verify.ts, `npm run verify:evidence`). Free of server-only imports: the verifier runs with nothing
 * but the archive and a public key.
 */
export const PACK_FORMAT = "tenantguard.evidence-pack.v1";
export const MANIFEST_FILE = "manifest.json";
export const SIGNATURE_FILE = "manifest.sig";
/** The bytes a manifest signature covers: this label, a newline, then manifest.json exactly as stored. */
export const MANIFEST_SIGNATURE_LABEL = "tenantguard.evidence-manifest.v1\n";
export const OSCAL_FILE = "oscal/assessment-results.json";
export const OSCAL_VERSION = "1.1.2";

export interface ManifestEntry {
  path: string;
  sha256: string;
  bytes: number;
}

export interface Manifest {
  format: typeof PACK_FORMAT;
  org_id: string;
  /** The state's own time (the signed checkpoint's signed_at, else the latest audit entry's), never the clock. */
  as_of: string | null;
  files: ManifestEntry[];
}

export interface ManifestSignature {
  alg: "Ed25519";
  key_id: string;
  signs: typeof MANIFEST_FILE;
  /** base64url Ed25519 signature of MANIFEST_SIGNATURE_LABEL + manifest.json's bytes. */
  signature: string;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** JSON with every object's keys sorted, two-space indented, one trailing newline: the same value gives the same bytes. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v);
  }
  return out;
}

/**
 * The population hash: SHA-256 over the rows' canonical JSON (keys sorted, no whitespace), the lines sorted
 * bytewise (UTF-8) and joined with "\n". Row order does not matter, so an auditor re-running the query gets the same hash.
 */
export function populationHash(rows: readonly unknown[]): string {
  const lines = rows.map((row) => Buffer.from(canonicalJson(row), "utf8")).sort(Buffer.compare);
  return sha256Hex(Buffer.concat(lines.flatMap((line, i) => (i === 0 ? [line] : [NEWLINE, line]))));
}

const NEWLINE = Buffer.from("\n");

/** The namespace of every UUID in a pack: UUIDv5 of the pack format's name under the RFC 4122 URL namespace. */
const URL_NAMESPACE = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";

/** RFC 4122 version-5 UUID (SHA-1 of namespace and name): the same content always gets the same id. */
export function uuidV5(name: string, namespace: string = EVIDENCE_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export const EVIDENCE_NAMESPACE = uuidV5(`https://tenantguard.dev/${PACK_FORMAT}`, URL_NAMESPACE);

/**
 * Zip entries' modification time: 1980-01-01 00:00, the earliest a zip can hold, built from local-time fields
 * because the zip format stores local time (so the bytes do not depend on the machine's time zone).
 */
export const ZIP_MTIME = new Date(1980, 0, 1, 0, 0, 0);
