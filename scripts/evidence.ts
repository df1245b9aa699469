// OPS-3: writes an organisation's evidence pack (a deterministic, signed zip; docs/evidence-pack.md).
//
//   npm run evidence -- --org org_x --out pack.zip
//
// Uses the app's configuration (DATABASE_URL, MIGRATION_DATABASE_URL for the owner's checks, AUDIT_SIGNING_KEY, ...).
// Signs a checkpoint of the org's audit chain first, runs every live check, reads the populations in the org's
// row-level security scope, and records the export in the org's audit log (evidence.exported, actor cli:evidence).
// Exit codes: 0 written, 1 the org does not exist, 2 could not run (bad arguments, database errors).
import { isServerOnlyGuard, messageOf, runIfInvokedDirectly } from "./lib/cli";

const USAGE = "Usage: evidence --org org_x --out pack.zip";
const ORG_ID = /^org_[A-Za-z0-9]{1,64}$/;

export function parseArgs(argv: string[]): { orgId: string; out: string } | string {
  let orgId: string | undefined;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (name === "--org" || name === "--out") {
      const value = inline ?? argv[++i];
      if (value === undefined) return `${name} needs a value.`;
      if (name === "--org") orgId = value;
      else out = value;
    } else {
      return arg === "--help" || arg === "-h" ? USAGE : `Unknown argument: ${arg}`;
    }
  }
  if (orgId === undefined || out === undefined) return "--org and --out are both required.";
  if (!ORG_ID.test(orgId)) return `Not an organisation id: ${JSON.stringify(orgId)}`;
  return { orgId, out };
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    console.error(args === USAGE ? USAGE : `${args}\n${USAGE}`);
    return 2;
  }
  let db: typeof import("@/lib/db");
  let evidence: typeof import("@/lib/evidence/export");
  try {
    db = await import("@/lib/db");
    evidence = await import("@/lib/evidence/export");
  } catch (error) {
    console.error(
      isServerOnlyGuard(error)
        ? "Run this script with the react-server condition: `npm run evidence -- --org org_x --out pack.zip` (or `npx tsx --conditions=react-server scripts/evidence.ts`)."
        : `Could not load the app: ${messageOf(error)}`,
    );
    return 2;
  }
  try {
    const [org] = await (await db.ownerDb()).query<{ id: string }>("select id from public.organizations where id = $1", [args.orgId]);
    if (!org) {
      console.error(`No organisation ${args.orgId}.`);
      return 1;
    }
    const pack = await evidence.exportEvidenceAsOperator(args.orgId);
    const { writeFile } = await import("node:fs/promises");
    await writeFile(args.out, pack.zip);
    const failed = pack.state.checks.filter((c) => c.status === "fail").map((c) => c.id);
    console.log(
      `Evidence pack for ${args.orgId} written to ${args.out}: state as of ${pack.manifest.as_of ?? "(no audit activity)"}, ${pack.manifest.files.length} files, manifest sha256 ${pack.manifestSha256}; ${pack.state.checks.length} live checks${failed.length ? `, failing: ${failed.join(", ")}` : ", none failing"}.`,
    );
    return 0;
  } catch (error) {
    console.error(`The evidence pack could not be built: ${messageOf(error)}`);
    return 2;
  } finally {
    await db.closeDb().catch(() => {});
    const { closeDefaultRateLimitStore } = await import("@/lib/ratelimit");
    await closeDefaultRateLimitStore().catch(() => {});
  }
}

runIfInvokedDirectly(import.meta.url, main);
