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

export function normaliseDetail(detail: string): string {
  return VOLATILE_RULES.reduce((text, rule) => text.replace(rule.pattern, rule.replacement), detail);
}
