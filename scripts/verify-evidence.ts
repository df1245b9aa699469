// OPS-3: verifies an evidence pack offline (no database, no network).
//
//   npm run verify:evidence -- pack.zip --public-key key.json|key.pem|"<PEM>"
//
// The public key is the deployment's, obtained independently of the pack: save
// `curl https://<app>/.well-known/tenantguard-audit-key > key.json` (the same document `npm run verify:audit`
// takes). The key inside the pack (public-key.json) is never trusted on its own: without --public-key the pack's
// integrity is still checked against it, and the command says its origin is not authenticated and exits 3.
// Exit codes: 0 verified, 1 tampered or invalid (the first problem, named), 2 bad arguments or unreadable files,
// 3 intact but checked only against the pack's own key.
import { messageOf, runIfInvokedDirectly } from "./lib/cli";

const USAGE = "Usage: verify-evidence <pack.zip> [--public-key <key.json|key.pem|PEM>]";

export interface VerifyEvidenceArgs {
  file: string;
  publicKey?: string;
}

export function parseArgs(argv: string[]): VerifyEvidenceArgs | string {
  let file: string | undefined;
  let publicKey: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--public-key") {
      publicKey = argv[++i];
      if (publicKey === undefined) return "--public-key needs a value.";
    } else if (arg.startsWith("--public-key=")) {
      publicKey = arg.slice("--public-key=".length);
    } else if (arg === "--help" || arg === "-h") {
      return USAGE;
    } else if (arg.startsWith("-")) {
      return `Unknown argument: ${arg}`;
    } else if (file === undefined) {
      file = arg;
    } else {
      return `Only one pack at a time: ${arg}`;
    }
  }
  if (file === undefined) return "Which pack? Give the path of the archive.";
  return publicKey === undefined ? { file } : { file, publicKey };
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    console.error(args === USAGE ? USAGE : `${args}\n${USAGE}`);
    return 2;
  }
  const { readFile } = await import("node:fs/promises");
  const { unzipSync } = await import("fflate");
  const { parsePublicKey } = await import("@/lib/audit/signing");
  const { verifyEvidencePack } = await import("@/lib/evidence/verify");
  let archive: Uint8Array;
  try {
    archive = await readFile(args.file);
  } catch (error) {
    console.error(`The pack could not be read: ${messageOf(error)}`);
    return 2;
  }
  let keys;
  let trusted = true;
  try {
    if (args.publicKey !== undefined) {
      const text = /^\s*(-----BEGIN|\{)/.test(args.publicKey) ? args.publicKey : await readFile(args.publicKey, "utf8");
      keys = parsePublicKey(text);
    } else {
      trusted = false;
      const own = unzipSync(archive, { filter: (f) => f.name === "public-key.json" })["public-key.json"];
      if (!own) {
        console.error("Evidence pack NOT verified (signature_missing): no --public-key was given and the pack holds no public-key.json.");
        return 1;
      }
      keys = parsePublicKey(Buffer.from(own).toString("utf8"));
    }
  } catch (error) {
    console.error(`The public key could not be read: ${messageOf(error)}`);
    return 2;
  }
  const verdict = verifyEvidencePack(archive, keys);
  if (!verdict.ok) {
    console.error(`Evidence pack NOT verified (${verdict.problem}): ${verdict.detail}.`);
    return 1;
  }
  const line = `org ${verdict.orgId}, state as of ${verdict.asOf ?? "(no audit activity)"}, ${verdict.files} files, manifest signed with key ${verdict.keyId}`;
  if (!trusted) {
    console.error(
      `Evidence pack intact (${line}), but checked only against the key inside the pack, which anyone could have replaced: its origin is NOT authenticated. Pass --public-key with the deployment's /.well-known/tenantguard-audit-key.`,
    );
    return 3;
  }
  console.log(`Evidence pack verified offline: ${line}; every file matches the manifest, none is missing or extra, the audit checkpoint and the OSCAL document check out.`);
  return 0;
}

runIfInvokedDirectly(import.meta.url, main);
