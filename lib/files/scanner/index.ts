import { env } from "@/lib/env";
import { isEnabled } from "@/lib/flags";
import type { ByteSource } from "../stream";
import { clamdScanner } from "./clamd";
import { clamscanScanner } from "./clamscan";
import type { Scanner, ScanVerdict } from "./types";

export { clamdScanner, parseInstreamReply, type ClamdAddress, type ClamdOptions } from "./clamd";
export { clamscanScanner, type ClamscanOptions } from "./clamscan";
export type { Scanner, ScanVerdict, ScannerVersion } from "./types";

export type ScannerStatus = { status: "ok" | "down" | "off"; detail: string; signatureVersion?: string | null };

/**
 * FILE-2: the configured scanner: clamd over CLAMAV_SOCKET or CLAMAV_HOST:CLAMAV_PORT, else clamscan at
 * CLAMSCAN_PATH; null when the virus_scan flag is off (OPS-4; ENABLE_VIRUS_SCAN=false is its older spelling) or
 * nothing is configured (documents then stay pending).
 */
export function configuredScanner(): Scanner | null {
  if (!isEnabled("virus_scan")) return null;
  const options = { timeoutMs: env.CLAMAV_TIMEOUT_MS, maxBytes: env.CLAMAV_MAX_BYTES };
  if (env.CLAMAV_SOCKET) return clamdScanner({ socket: env.CLAMAV_SOCKET }, options);
  if (env.CLAMAV_HOST) return clamdScanner({ host: env.CLAMAV_HOST, port: env.CLAMAV_PORT }, options);
  if (env.CLAMSCAN_PATH) return clamscanScanner({ path: env.CLAMSCAN_PATH, ...options });
  return null;
}

function offReason(): string {
  return isEnabled("virus_scan")
    ? "No virus scanner is configured (CLAMAV_HOST, CLAMAV_SOCKET or CLAMSCAN_PATH): uploads stay pending and are never served."
    : `Virus scanning is off (the virus_scan flag, ${env.flags.virus_scan.setBy}): uploads stay pending and are never served.`;
}

/** Scans with the configured scanner (or `scanner`); `scanner_off` when there is none. Never throws. */
export async function scanFile(source: ByteSource, scanner: Scanner | null = configuredScanner()): Promise<ScanVerdict> {
  if (!scanner) return { verdict: "scanner_off", reason: offReason() };
  try {
    return await scanner.scan(source);
  } catch (error) {
    return { verdict: "scan_failed", scanner: scanner.name, reason: (error as Error).message };
  }
}

/** OBS-4 / FILE-2: whether the scanner answers (its VERSION), for /health/ready and the controls registry. */
export async function scannerCheck(scanner: Scanner | null = configuredScanner()): Promise<ScannerStatus> {
  if (!scanner) return { status: "off", detail: offReason() };
  try {
    const version = await scanner.version();
    // No address or path in the detail: readiness is public.
    const kind = scanner.name.startsWith("clamscan") ? "clamscan" : "clamd";
    return { status: "ok", detail: `ClamAV ${version.engine} (${kind})${version.signatureVersion ? `, signatures ${version.signatureVersion}` : ""}`, signatureVersion: version.signatureVersion };
  } catch (error) {
    return { status: "down", detail: `${scanner.name} did not answer: ${(error as Error).message}` };
  }
}
