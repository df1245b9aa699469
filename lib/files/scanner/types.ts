import type { ByteSource } from "../stream";

/**
 * FILE-2: a scan's outcome. Only `clean` lets a file out of quarantine; `scan_failed` is retried by the scan job;
 * `scanner_off` leaves the document pending (never served).
 */
export type ScanVerdict =
  | { verdict: "clean"; scanner: string; signatureVersion: string | null }
  | { verdict: "infected"; scanner: string; signature: string; signatureVersion: string | null }
  | { verdict: "scan_failed"; scanner: string; reason: string }
  | { verdict: "scanner_off"; reason: string };

export interface ScannerVersion {
  engine: string;
  /** The signature database version (clamd's VERSION answer, e.g. "27431"), null when the scanner does not say. */
  signatureVersion: string | null;
  raw: string;
}

export interface Scanner {
  readonly name: string;
  /** Never throws: every failure is a `scan_failed` verdict. */
  scan(source: ByteSource): Promise<ScanVerdict>;
  version(): Promise<ScannerVersion>;
}

export function failed(scanner: string, reason: string): ScanVerdict {
  return { verdict: "scan_failed", scanner, reason };
}

/**
 * ClamAV reports files it did not fully scan (over MaxFileSize/MaxScanSize, with AlertExceedsMax) as
 * "Heuristics.Limits.Exceeded...": that is not a finding about the file, it is a scan that did not happen.
 */
export function verdictFromSignature(signature: string, scanner: string): ScanVerdict {
  if (/^Heuristics\.Limits\.Exceeded/i.test(signature)) return failed(scanner, `The scanner could not scan the whole file (${signature}).`);
  return { verdict: "infected", scanner, signature, signatureVersion: null };
}
