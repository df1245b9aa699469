/**
 * IDN-5 / RL-1: the progressive delay before a failed sign-in attempt (password, TOTP or recovery code) is answered.
 * `attempts` counts this window's attempts for the account, this one included (from the limiter). The first three
 * are answered at once; then 250 ms, doubling per attempt, up to `maxMs`. It depends only on the attempts for the
 * email or user named, never on whether the account exists, so unknown and known accounts are answered alike; and
 * like the lockout it ends with the window, so nobody can delay a user indefinitely without spending attempts.
 */
export function failureDelayMs(attempts: number, maxMs: number): number {
  if (!Number.isFinite(attempts) || attempts <= 3 || maxMs <= 0) return 0;
  return Math.min(maxMs, 250 * 2 ** Math.min(attempts - 4, 20));
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
