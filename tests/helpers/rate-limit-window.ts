/**
 * RL-1's sliding window is exact inside one fixed window only: just after a window boundary the previous window's
 * count is weighted slightly below its full value, so one or two more requests pass. A test that counts requests
 * exactly calls this first: when less than `marginMs` of the current window is left, it waits for the next one.
 * `marginMs` must exceed the test's own duration on a loaded machine.
 */
export async function awayFromWindowEdge(windowMs: number, marginMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
