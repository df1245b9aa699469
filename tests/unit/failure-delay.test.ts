import { describe, expect, it } from "vitest";
import { failureDelayMs } from "@/lib/auth/embedded/failure-delay";

describe("IDN-5: progressive delay before a failed sign-in attempt is answered", () => {
  it("answers the first three at once, then doubles from 250 ms up to the maximum", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20, 1000].map((n) => failureDelayMs(n, 2000))).toEqual([0, 0, 0, 250, 500, 1000, 2000, 2000, 2000, 2000]);
  });

  it("is off with a maximum of 0, and never negative or unbounded for odd input", () => {
    expect(failureDelayMs(10, 0)).toBe(0);
    expect(failureDelayMs(Number.NaN, 2000)).toBe(0);
    expect(failureDelayMs(Number.POSITIVE_INFINITY, 2000)).toBe(0);
    expect(failureDelayMs(-5, 2000)).toBe(0);
  });
});
