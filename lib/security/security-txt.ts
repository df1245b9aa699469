import type { CheckResult } from "@/lib/controls/live-checks";

/**
 * OPS-5 / HDR-1: `/.well-known/security.txt` (RFC 9116) and the disclosure policy it points to.
 *
 * `Expires` is a date a person sets when they review the contacts and the policy, not a date computed at build time:
 * a computed one would stay in the future forever and claim a review that never happened. The test of this file
 * (tests/integration/security-txt.test.ts) fails 30 days before it passes, and the live check `security-txt` warns
 * then, so the review happens before the file lapses. RFC 9116 recommends less than a year ahead.
 */
export const SECURITY_TXT_EXPIRES = "2027-06-01T00:00:00.000Z";

/** Renew this many days before `Expires` (the test and the live check hold to it). */
export const SECURITY_TXT_RENEW_DAYS = 30;

export const SECURITY_TXT_PATH = "/.well-known/security.txt";
export const DISCLOSURE_POLICY_PATH = "/disclosure";

/** What SECURITY.md and the disclosure page promise (tests/integration/security-txt.test.ts checks SECURITY.md). */
export const DISCLOSURE = {
  acknowledgeBusinessDays: 3,
  assessmentBusinessDays: 10,
  /** Fix or mitigation of a confirmed critical or high issue. */
  fixCriticalDays: 30,
  preferredLanguages: ["en"],
} as const;

export interface SecurityTxtSettings {
  appUrl: string;
  /** SECURITY_CONTACT; empty: mailto:security@ the host of appUrl. */
  contacts: readonly string[];
}

export function securityContacts({ appUrl, contacts }: SecurityTxtSettings): string[] {
  return contacts.length > 0 ? [...contacts] : [`mailto:security@${new URL(appUrl).hostname}`];
}

/** The file's fields, in the order RFC 9116's examples use. */
export function securityTxtFields(settings: SecurityTxtSettings): [string, string][] {
  const origin = new URL(settings.appUrl).origin;
  return [
    ...securityContacts(settings).map((c): [string, string] => ["Contact", c]),
    ["Expires", SECURITY_TXT_EXPIRES],
    ["Preferred-Languages", DISCLOSURE.preferredLanguages.join(", ")],
    ["Canonical", `${origin}${SECURITY_TXT_PATH}`],
    ["Policy", `${origin}${DISCLOSURE_POLICY_PATH}`],
  ];
}

export function renderSecurityTxt(settings: SecurityTxtSettings): string {
  const lines = ["# Security contact for TenantGuard (RFC 9116). How we handle reports: see Policy."];
  for (const [name, value] of securityTxtFields(settings)) lines.push(`${name}: ${value}`);
  return `${lines.join("\n")}\n`;
}

/** Field name -> values, for a security.txt text (comments and blank lines ignored). */
export function parseSecurityTxt(text: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    fields.set(name, [...(fields.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return fields;
}

const DAY_MS = 86_400_000;

/** OPS-5 live check `security-txt`: the file has its required fields and does not lapse within 30 days. */
export function checkSecurityTxt(settings: SecurityTxtSettings, now: Date = new Date(), text: string = renderSecurityTxt(settings)): CheckResult {
  const fields = parseSecurityTxt(text);
  const problems: string[] = [];
  if (!(fields.get("contact") ?? []).length) problems.push("no Contact");
  const expiresValues = fields.get("expires") ?? [];
  if (expiresValues.length !== 1) problems.push("Expires must appear exactly once");
  const canonical = fields.get("canonical")?.[0];
  if (canonical !== `${new URL(settings.appUrl).origin}${SECURITY_TXT_PATH}`) problems.push("Canonical is not this deployment's security.txt URL");
  if (problems.length > 0) return { status: "fail", detail: `security.txt is incomplete: ${problems.join("; ")}.` };

  const expires = new Date(expiresValues[0]!);
  if (Number.isNaN(expires.getTime())) return { status: "fail", detail: "security.txt Expires is not a date." };
  const days = Math.floor((expires.getTime() - now.getTime()) / DAY_MS);
  const date = expires.toISOString().slice(0, 10);
  if (days < 0) return { status: "fail", detail: `security.txt expired on ${date}: readers must treat its contacts as stale. Review it and set a new Expires.` };
  if (days <= SECURITY_TXT_RENEW_DAYS) return { status: "warn", detail: `security.txt expires on ${date}, in ${days} days: review the contacts and policy and set a new Expires.` };
  if (days > 366) return { status: "warn", detail: `security.txt expires on ${date}, more than a year ahead (RFC 9116 recommends less).` };
  return { status: "pass", detail: `security.txt names ${(fields.get("contact") ?? []).length} contact(s), its canonical URL and policy, and expires on ${date} (in ${days} days).` };
}
