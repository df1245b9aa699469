/** A window such as "60 s" or "5 m": the same notation (and parser rules) as @upstash/ratelimit's `Duration`. */
export type Duration = `${number} ${DurationUnit}` | `${number}${DurationUnit}`;
type DurationUnit = "ms" | "s" | "m" | "h" | "d";

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function durationToMs(duration: Duration): number {
  const match = /^(\d+(?:\.\d+)?)\s?(ms|s|m|h|d)$/.exec(duration);
  if (!match) throw new Error(`Invalid rate-limit window "${duration}": use e.g. "60 s" or "5 m".`);
  const ms = Math.round(Number.parseFloat(match[1]!) * UNIT_MS[match[2] as DurationUnit]);
  if (ms < 1) throw new Error(`Invalid rate-limit window "${duration}": must be at least 1 ms.`);
  return ms;
}
