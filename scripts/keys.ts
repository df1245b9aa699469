// ENC-2: key rotation commands (docs/encryption.md).
//
//   npm run keys:rotate                  re-wrap every data key under the active KEK (ENCRYPTION_KEYS ;active=)
//   npm run keys:rotate -- --reencrypt   then re-encrypt every value under fresh data keys
//   npm run keys:retire -- <kek id>      refuse while any data key references the KEK; then it can leave ENCRYPTION_KEYS
//   npm run keys:check                   the start-up check: every referenced KEK present and right
//
// Options: --batch-size N (default 200), --pause-ms N (between batches, to spare a busy database), --org org_x
// (repeatable: only those organisations). Runs as the database role key_rotation through DATABASE_URL (or the local
// PGlite database, while the app is not running). Safe to kill at any time: run it again to continue.
// Exit codes: 0 done, 1 refused (a KEK in use or missing), 2 bad arguments or errors.
import { isServerOnlyGuard, messageOf, runIfInvokedDirectly } from "./lib/cli";

export class UsageError extends Error {}

const USAGE = "Usage: keys rotate [--reencrypt] [--batch-size N] [--pause-ms N] [--org org_x] | keys retire <kek id> | keys check";

export interface KeysArgs {
  command: "rotate" | "retire" | "check";
  reencrypt: boolean;
  batchSize: number;
  pauseMs: number;
  orgIds?: string[];
  kekId?: string;
}

export function parseArgs(argv: string[]): KeysArgs {
  const [command, ...rest] = argv;
  if (command !== "rotate" && command !== "retire" && command !== "check") throw new UsageError(USAGE);
  const args: KeysArgs = { command, reencrypt: false, batchSize: 200, pauseMs: 0 };
  const number = (v: string | undefined, name: string, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > max) throw new UsageError(`${name} needs a whole number up to ${max}.`);
    return n;
  };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === "--reencrypt" && command === "rotate") args.reencrypt = true;
    else if (arg === "--batch-size") args.batchSize = Math.max(1, number(rest[++i], "--batch-size", 5000));
    else if (arg === "--pause-ms") args.pauseMs = number(rest[++i], "--pause-ms", 60_000);
    else if (arg === "--org") {
      const org = rest[++i];
      if (!org || !/^org_[A-Za-z0-9]{1,64}$/.test(org)) throw new UsageError("--org needs an organisation id.");
      (args.orgIds ??= []).push(org);
    } else if (command === "retire" && args.kekId === undefined && !arg.startsWith("-")) args.kekId = arg;
    else throw new UsageError(`Unknown argument: ${arg}\n${USAGE}`);
  }
  if (command === "retire" && !args.kekId) throw new UsageError("keys retire needs the id of the key-encryption key.");
  return args;
}

/** A progress bar on a terminal; one line per batch otherwise (logs, CI). */
export function progressLine(phase: string, done: number, total: number, tty: boolean): string {
  const pct = total === 0 ? 100 : Math.min(100, Math.floor((done / total) * 100));
  if (!tty) return `${phase}: ${done}/${total} (${pct}%)\n`;
  const width = 30;
  const filled = Math.round((pct / 100) * width);
  return `\r${phase} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${pct}% ${done}/${total}`;
}

async function main(): Promise<number> {
  let args: KeysArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  try {
    const { closeDb } = await import("@/lib/db");
    const { keyProvider, verifyKeysAvailable, MissingKeyError } = await import("@/lib/crypto");
    const { reencryptRecords, retireKek, rewrapDataKeys, KeyInUseError } = await import("@/lib/crypto/rotation");
    const tty = Boolean(process.stdout.isTTY);
    const onBatch = async (p: { phase: string; done: number; total: number }) => {
      process.stdout.write(progressLine(p.phase, p.done, p.total, tty));
      if (args.pauseMs > 0) await new Promise((r) => setTimeout(r, args.pauseMs));
    };
    try {
      if (args.command === "check") {
        const inventory = await verifyKeysAvailable();
        console.log(`Keys OK. Active: ${keyProvider().activeKekId}. Data keys per key-encryption key: ${JSON.stringify(inventory.dataKeysByKek)}`);
        return 0;
      }
      if (args.command === "retire") {
        await retireKek(args.kekId!);
        console.log(`No data key references "${args.kekId}": remove it from ENCRYPTION_KEYS.`);
        return 0;
      }
      const options = { batchSize: args.batchSize, onBatch, ...(args.orgIds ? { orgIds: args.orgIds } : {}) };
      const rewrap = await rewrapDataKeys(options);
      if (tty) process.stdout.write("\n");
      console.log(`Re-wrapped ${rewrap.rewrapped} data key(s) under "${keyProvider().activeKekId}"; ${rewrap.remaining} left.`);
      if (args.reencrypt) {
        const re = await reencryptRecords(options);
        if (tty) process.stdout.write("\n");
        console.log(`${re.resumed ? "Resumed: " : ""}re-encrypted ${re.reencrypted} value(s) under fresh data keys; retired ${re.retiredDataKeys} data key(s).`);
      }
      return rewrap.remaining === 0 ? 0 : 1;
    } catch (error) {
      if (error instanceof KeyInUseError || error instanceof MissingKeyError) {
        console.error(error.message);
        return 1;
      }
      throw error;
    } finally {
      await closeDb();
    }
  } catch (error) {
    if (error instanceof Error && error.name === "MissingKeyError") {
      console.error(error.message);
      return 1;
    }
    if (isServerOnlyGuard(error)) console.error("Run through npm (tsx --conditions=react-server).");
    console.error(messageOf(error));
    return 2;
  }
}

runIfInvokedDirectly(import.meta.url, main);
