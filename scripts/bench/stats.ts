// Paired rounds and their medians, shared by the benchmarks (scripts/bench-*.ts).

/** The usual median: the middle value, or the mean of the two middle values of an even count. NaN when empty. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The value at quantile q (0..1) of xs (nearest rank, on a sorted copy). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * The median of per-round ratios a[i] / b[i]: each round measures both sides back to back, with the machine in one
 * state, so their median resists drift between rounds (other work on a shared VM) better than the medians' ratio.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error("pairedRatio: both sides need the same rounds");
  return median(a.map((x, i) => x / b[i]!));
}

/** The order of `paths` in round r: alternated between rounds so no path always runs first (or on a warmer cache). */
export function roundOrder<T>(paths: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...paths] : [...paths].reverse();
}

/** A positive number from the environment, or `fallback`. */
export function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number`);
  return n;
}
