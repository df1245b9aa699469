import { realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Shared plumbing for the verifier scripts: error messages, and running `main` only when executed directly. */
export function isServerOnlyGuard(error: unknown): boolean {
  return error instanceof Error && error.message.includes("cannot be imported from a Client Component");
}

export function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return `${error.message}${cause}`;
}

function invokedDirectly(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const self = real(fileURLToPath(moduleUrl));
  const target = real(entry);
  return target === self || target === self.replace(/\.ts$/, "");
}

/** Runs `main` and exits with its code when `moduleUrl` is the script node was started with; importing is safe. */
export function runIfInvokedDirectly(moduleUrl: string, main: () => Promise<number>): void {
  if (!invokedDirectly(moduleUrl)) return;
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(messageOf(error));
      process.exit(2);
    },
  );
}
