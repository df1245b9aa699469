import { OutboundRefusedError, type OutboundRefusalReason } from "./errors";
import type { HostResolver } from "./resolver";
import { checkTarget } from "./url-policy";

/** A name that "resolves" to a private address, so the canary needs no network. */
const privateAnswer: HostResolver = async () => [{ address: "10.0.0.1", family: 4 }];

// URL forms that must always be refused, whatever the deployment allows.
const CANARIES: [string, OutboundRefusalReason][] = [
  ["http://127.0.0.1/", "private_address"],
  ["http://2130706433/", "private_address"],
  ["http://[::ffff:127.0.0.1]/", "private_address"],
  ["http://[::]/", "private_address"],
  ["http://169.254.169.254/latest/meta-data/", "private_address"],
  ["http://[fd00:ec2::254]/", "private_address"],
  ["http://100.100.100.200/", "private_address"],
  ["http://[64:ff9b::a9fe:a9fe]/", "private_address"],
  ["http://metadata.google.internal/", "blocked_host"],
  ["http://localhost./", "blocked_host"],
  ["http://internal-name.example/", "private_address"],
  ["file:///etc/passwd", "scheme"],
  ["http://user:pass@example.com/", "credentials"],
];

export interface UrlImportCheckResult {
  status: "pass" | "fail";
  detail: string;
}

/**
 * SSRF-1 live check: with the deployment's own settings, every canary form is refused for the right reason (no
 * network: names resolve through a fixed private answer), and no loopback allow-list is configured in production.
 */
export async function checkUrlImportPolicy(settings: {
  allowedPorts: readonly number[];
  allowHosts: readonly string[];
  production: boolean;
}): Promise<UrlImportCheckResult> {
  const problems: string[] = [];
  if (settings.production && settings.allowHosts.length > 0) problems.push("a loopback allow-list (URL_IMPORT_ALLOW_HOSTS) is set in production");
  for (const [url, reason] of CANARIES) {
    let got: string = "accepted";
    try {
      // Port 80 is added so each canary is judged on its address, name, scheme or credentials.
      await checkTarget(url, { allowedPorts: [80, ...settings.allowedPorts], allowHosts: [], resolver: privateAnswer });
    } catch (e) {
      got = e instanceof OutboundRefusedError ? e.reason : "error";
    }
    if (got !== reason) problems.push(`${url} was ${got === "accepted" ? "accepted" : `refused as ${got}`}, expected ${reason}`);
  }
  if (problems.length > 0) return { status: "fail", detail: `URL import: ${problems.join("; ")}.` };
  return {
    status: "pass",
    detail: `URL import refuses all ${CANARIES.length} private, mapped, metadata, scheme and credential canaries; ports ${settings.allowedPorts.join(", ")}; ${settings.allowHosts.length === 0 ? "no loopback allow-list" : `loopback allow-list for tests: ${settings.allowHosts.length} entries`}.`,
  };
}
