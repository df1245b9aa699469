/**
 * RL-2: `promise`, or a rejection once it has not settled within `ms`. Written with as few promises as possible:
 * every request makes two or three limit calls, and while an AsyncLocalStorage is active (Next.js keeps several)
 * Node 20 runs hooks for every promise (and timer) created.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Rate-limit backend did not answer within ${ms} ms.`)), ms);
    // The call may still settle after we have stopped waiting for it: both outcomes are handled here.
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
