/**
 * OPS-3: a check's output may carry values that change with every run although the state has not (an age in
 * minutes, a duration, a per-response nonce). The pack records each check's output with those replaced by fixed
 * words, by the rules below, so the same state gives the same bytes; the rules themselves are listed in the pack.
 * Values that belong to the state (counts, ids, a stored time such as the oldest waiting upload) are kept.
 */
export const VOLATILE_RULES: readonly { pattern: RegExp; replacement: string; description: string }[] = [
  { pattern: / \(latest \d+ min old\)/g, replacement: "", description: "the age of the latest checkpoint in minutes" },
  { pattern: /\b\d+(?:\.\d+)? ?(?:ms|milliseconds)\b/g, replacement: "<duration>", description: "durations in milliseconds" },
  { pattern: /'nonce-[A-Za-z0-9+/=_-]+'/g, replacement: "'nonce-<per-response>'", description: "per-response CSP nonces" },
];

/**
 * TEN-4: the deployment-wide checks can name other tenants in their output (an open support session's operator and
 * organisation, key ids still accepted past expiry, org ids). An organisation's pack keeps their status and counts and
 * withholds those names, so an admin never learns about another organisation from it.
 */
export const WITHHELD_RULES: readonly { pattern: RegExp; replacement: string; description: string }[] = [
  { pattern: /(\d+ support session\(s\) open): [^]*?\.(?= |$)/g, replacement: "$1 (operators and organisations withheld from an organisation's pack).", description: "open support sessions' operators and organisations" },
  { pattern: /(past their expiry are still accepted): [^]*?\.(?= |$)/g, replacement: "$1 (key ids withheld from an organisation's pack).", description: "ids of keys still accepted past expiry" },
];

export function normaliseDetail(detail: string, orgId?: string): string {
  const withheld = WITHHELD_RULES.reduce((text, rule) => text.replace(rule.pattern, rule.replacement), detail);
  const others = orgId === undefined ? withheld : withheld.replace(/\borg_[A-Za-z0-9]{1,64}\b/g, (id) => (id === orgId ? id : "another organisation"));
  return VOLATILE_RULES.reduce((text, rule) => text.replace(rule.pattern, rule.replacement), others);
}
