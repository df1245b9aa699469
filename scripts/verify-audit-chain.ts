// AUD-2: verifies the per-org hash chains of public.audit_logs and names the first broken entry of each org.
//
//   npm run verify:audit [-- --org org_x]   (= tsx --conditions=react-server scripts/verify-audit-chain.ts [--org org_x])
//   npm run verify:audit -- --file export.json --public-key key.pem|key.json|"<PEM>"   (offline, no database)
//
// Reads as the tables' owner (MIGRATION_DATABASE_URL, else DATABASE_URL, else the local PGlite database), because
// the runtime roles only ever see their own org's chain. Exit codes: 0 every chain intact, 1 at least one
// chain broken (modified, removed or reordered entry), 2 could not verify (bad arguments, database errors).
// Importing this module has no side effects: main() runs only when the file is executed directly, and lib/db
// is loaded lazily so the report helper can be used (and tested) on its own.
import type { ChainBreak } from "@/lib/audit/chain";
import { isServerOnlyGuard, messageOf, runIfInvokedDirectly } from "./lib/cli";

export interface AuditVerification {
  orgs: number;
  entries: number;
  breaks: ChainBreak[];
}

const ORG_ID = /^org_[A-Za-z0-9]{1,64}$/;
const USAGE = "Usage: verify-audit-chain [--org org_x] | --file export.json --public-key <file|PEM>";

export class UsageError extends Error {}

export interface VerifyArgs {
  org?: string;
  /** AUD-5 offline mode: an export file and the public key it must be signed with. */
  file?: string;
  publicKey?: string;
}

export function parseArgs(argv: string[]): VerifyArgs {
  let org: string | undefined;
  let file: string | undefined;
  let publicKey: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--file" || arg === "--public-key") {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value.`);
      if (arg === "--file") file = value;
      else publicKey = value;
    } else if (arg.startsWith("--file=")) {
      file = arg.slice("--file=".length);
    } else if (arg.startsWith("--public-key=")) {
      publicKey = arg.slice("--public-key=".length);
    } else if (arg === "--org") {
      org = argv[++i];
      if (org === undefined) throw new UsageError("--org needs an organisation id.");
    } else if (arg.startsWith("--org=")) {
      org = arg.slice("--org=".length);
    } else if (arg === "--help" || arg === "-h") {
      throw new UsageError(USAGE);
    } else {
      throw new UsageError(`Unknown argument: ${arg}`);
    }
  }
  if (org !== undefined && !ORG_ID.test(org)) throw new UsageError(`Not an organisation id: ${JSON.stringify(org)}`);
  if ((file === undefined) !== (publicKey === undefined)) throw new UsageError("--file and --public-key go together (an export is verified only against a public key).");
  if (file !== undefined && org !== undefined) throw new UsageError("--org reads the database; --file verifies an export offline: use one of them.");
  if (file !== undefined) return { file, publicKey };
  return org === undefined ? {} : { org };
}

/** AUD-5: the offline mode's report: an export verified against a public key, with no database. */
export async function verifyExportFile(file: string, publicKey: string): Promise<{ exitCode: 0 | 1 | 2; lines: string[] }> {
  const { readFile } = await import("node:fs/promises");
  const { parsePublicKey } = await import("@/lib/audit/signing");
  const { verifyAuditExport } = await import("@/lib/audit/offline");
  let keys;
  let doc: unknown;
  try {
    const keyText = /^\s*(-----BEGIN|\{)/.test(publicKey) ? publicKey : await readFile(publicKey, "utf8");
    keys = parsePublicKey(keyText);
  } catch (error) {
    return { exitCode: 2, lines: [`The public key could not be read: ${messageOf(error)}`] };
  }
  try {
    doc = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    return { exitCode: 1, lines: [`The export could not be read as JSON: ${messageOf(error)}`] };
  }
  const verdict = verifyAuditExport(doc, keys);
  if (!verdict.ok) return { exitCode: 1, lines: [`Audit export NOT verified (${verdict.reason}): ${verdict.detail}.`] };
  const tail = verdict.uncovered > 0 ? `; ${verdict.uncovered} newer entr${verdict.uncovered === 1 ? "y is" : "ies are"} linked but not yet covered by a checkpoint` : "";
  return {
    exitCode: 0,
    lines: [`Audit export verified offline: org ${verdict.orgId}, ${verdict.entries} entr${verdict.entries === 1 ? "y" : "ies"} from seq ${verdict.firstSeq ?? "-"}, signed checkpoint at seq ${verdict.coveredThrough} (key ${verdict.keyId})${tail}.`],
  };
}

/** What the command prints and how it exits, for a verifier result. */
export function formatAuditReport(result: AuditVerification, org?: string): { exitCode: 0 | 1; lines: string[] } {
  const scope = org ? `org ${org}` : "all orgs";
  const summary = `Audit chain verification (${scope}): ${result.orgs} org(s), ${result.entries} entr${result.entries === 1 ? "y" : "ies"} checked`;
  if (result.breaks.length === 0) {
    const note = org && result.entries === 0 ? " (no audit entries for this org)" : "";
    return { exitCode: 0, lines: [`${summary}; every chain is intact.${note}`] };
  }
  return {
    exitCode: 1,
    lines: [
      `${summary}; ${result.breaks.length} broken chain(s) (AUD-2). First broken entry of each:`,
      ...result.breaks.map((b) => `  BROKEN org=${b.orgId} seq=${b.seq} id=${b.id} reason=${b.reason}`),
    ],
  };
}

const SERVER_ONLY_HINT =
  "Run this script with the react-server condition: `npm run verify:audit -- [--org org_x]` (or `npx tsx --conditions=react-server scripts/verify-audit-chain.ts`).";

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  let args: VerifyArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    console.error(error instanceof UsageError && error.message !== USAGE ? `${error.message}\n${USAGE}` : USAGE);
    return 2;
  }
  if (args.file !== undefined && args.publicKey !== undefined) {
    const report = await verifyExportFile(args.file, args.publicKey);
    (report.exitCode === 0 ? console.log : console.error)(report.lines.join("\n"));
    return report.exitCode;
  }
  let db: typeof import("@/lib/db");
  let verify: typeof import("@/lib/audit/verify");
  try {
    db = await import("@/lib/db");
    verify = await import("@/lib/audit/verify");
  } catch (error) {
    console.error(isServerOnlyGuard(error) ? SERVER_ONLY_HINT : `Could not load the database module: ${messageOf(error)}`);
    return 2;
  }
  try {
    const result = await verify.verifyAuditChains(await db.ownerDb(), args.org);
    const report = formatAuditReport(result, args.org);
    (report.exitCode === 0 ? console.log : console.error)(report.lines.join("\n"));
    return report.exitCode;
  } catch (error) {
    console.error(`Audit chains could not be verified: ${messageOf(error)}`);
    return 2;
  } finally {
    await db.closeDb().catch(() => {});
  }
}

runIfInvokedDirectly(import.meta.url, main);
