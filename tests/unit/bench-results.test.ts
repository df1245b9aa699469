import { describe, expect, it } from "vitest";
import { formatTable, formatValue, mergeResults, verdictOf, type Figure } from "../../scripts/bench/results";
import { median, pairedRatio, quantile, roundOrder } from "../../scripts/bench/stats";

const machine = { cpus: 2, model: "test cpu", loadAverage: [1.5, 1, 0.5] as [number, number, number], node: "v20", postgres: "15.0" };
const figure = (bench: string, name: string, value: number, extra: Partial<Figure> = {}): Figure => ({
  bench,
  name,
  value,
  unit: "x",
  target: null,
  verdict: "n/a",
  commit: "abc",
  machine,
  at: "2026-12-04T00:00:00.000Z",
  ...extra,
});

describe("benchmark verdicts", () => {
  it("passes a figure at or beyond its target and misses one short of it, in either direction", () => {
    expect(verdictOf(1.2, { op: "<=", value: 1.2 })).toBe("PASS");
    expect(verdictOf(1.21, { op: "<=", value: 1.2 })).toBe("MISS");
    expect(verdictOf(0.85, { op: ">=", value: 0.85 })).toBe("PASS");
    expect(verdictOf(0.849, { op: ">=", value: 0.85 })).toBe("MISS");
  });

  it("has no verdict without a target or without a finite value", () => {
    expect(verdictOf(3, null)).toBe("n/a");
    expect(verdictOf(Number.NaN, { op: ">=", value: 1 })).toBe("n/a");
    expect(verdictOf(Number.POSITIVE_INFINITY, { op: "<=", value: 1 })).toBe("n/a");
  });
});

describe("the results table", () => {
  it("prints one row per figure with its value, unit, target, verdict and load average", () => {
    const table = formatTable([
      figure("rls", "admin, count: shipped / limit", 1.234, { target: { op: "<=", value: 1.2 }, verdict: "MISS", note: "quick" }),
      figure("api", "/secure", 574.4, { unit: "req/s" }),
    ]);
    const lines = table.split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe("| rls | admin, count: shipped / limit | 1.23 | x | <= 1.20 | MISS (quick) | 1.50 |");
    expect(lines[3]).toBe("| api | /secure | 574 | req/s |  | n/a | 1.50 |");
  });

  it("rounds to about three significant digits and groups thousands", () => {
    expect(formatValue(12_345.6)).toBe("12,346");
    expect(formatValue(0.0456)).toBe("0.046");
    expect(formatValue(45.67)).toBe("45.7");
  });
});

describe("merging a benchmark's figures into the file", () => {
  it("replaces that benchmark's previous figures and keeps the others'", () => {
    const before = { figures: [figure("api", "a", 1), figure("rls", "old", 2), figure("audit", "b", 3)] };
    const merged = mergeResults(before, "rls", [figure("rls", "new", 4)]);
    expect(merged.figures.map((f) => `${f.bench}:${f.name}`)).toEqual(["api:a", "audit:b", "rls:new"]);
    expect(mergeResults(null, "api", [figure("api", "x", 1)]).figures).toHaveLength(1);
  });
});

describe("paired rounds", () => {
  it("takes the median of per-round ratios, which resists a round where the whole machine slowed down", () => {
    // Round 3 ran at a third of the speed on both sides: its ratio is unchanged, the medians' ratio would not be.
    expect(pairedRatio([2, 2.2, 6], [1, 1, 3])).toBeCloseTo(2, 10);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
    expect(() => pairedRatio([1], [1, 2])).toThrow();
  });

  it("alternates the order of the paths between rounds", () => {
    expect(roundOrder(["a", "b", "c"], 0)).toEqual(["a", "b", "c"]);
    expect(roundOrder(["a", "b", "c"], 1)).toEqual(["c", "b", "a"]);
    expect(quantile([5, 1, 4, 2, 3], 0.99)).toBe(5);
    expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
  });
});
