import "server-only";
import { configuredScanner, objectStorage, type ObjectStorage, type Scanner } from "@/lib/files";
import { isEnabled } from "@/lib/flags";

/**
 * The storage and scanner the documents pipeline uses: the configured ones (lib/files), or real ones a test or the
 * benchmark started on 127.0.0.1 (a temporary directory, an s3rver, a clamd) in their place.
 */
let overrides: { storage?: ObjectStorage; scanner?: Scanner | null } = {};

export function documentStorage(): ObjectStorage {
  return overrides.storage ?? objectStorage();
}

/** FILE-2 / OPS-4: none while the virus_scan flag is off (whatever is configured): documents then stay pending. */
export function documentScanner(): Scanner | null {
  if (!isEnabled("virus_scan")) return null;
  return "scanner" in overrides ? (overrides.scanner ?? null) : configuredScanner();
}

export function useDocumentServices(services: { storage?: ObjectStorage; scanner?: Scanner | null }): void {
  overrides = { ...services };
}
