import "server-only";
import { DatabaseUnavailableError, withAnonymous } from "@/lib/db";
import { apiLog } from "@/lib/api/log";

/**
 * KEY-2: the per-key verification log and `last_used_at`, without a database write on the request path.
 *
 * Each instance buffers its verifications (successes and failures, in the order they happened, with their own
 * times) and writes them in one statement (private.record_key_uses) about once a second, or sooner when the
 * buffer fills. The database keeps the newest 200 entries per key and moves last_used_at at most once a minute.
 * If a write fails (database down), the entries go back into the buffer, which never holds more than
 * MAX_BUFFERED entries: under a long outage the oldest are dropped and the drop is logged.
 */

export interface KeyUse {
  keyId: string;
  outcome: "success" | "failure";
  /** Failures: why (revoked, expired, ...). Successes: null, or "previous_key" during a roll's grace. */
  reason: string | null;
  ip: string | null;
}

interface Entry {
  key_id: string;
  at: string;
  outcome: KeyUse["outcome"];
  reason: string | null;
  ip: string | null;
}

const FLUSH_INTERVAL_MS = 1_000;
const FLUSH_AT = 500;
const MAX_BUFFERED = 10_000;

interface State {
  buffer: Entry[];
  timer: ReturnType<typeof setTimeout> | null;
  flushing: Promise<void> | null;
  dropped: number;
}

// One buffer per process, however often the module is evaluated (dev reloads).
const holder = globalThis as typeof globalThis & { __tenantguardKeyUses?: State };
const state: State = (holder.__tenantguardKeyUses ??= { buffer: [], timer: null, flushing: null, dropped: 0 });

/** Records one verification; it reaches the database within about a second. Never throws, never waits. */
export function recordKeyUse(use: KeyUse): void {
  state.buffer.push({ key_id: use.keyId, at: new Date().toISOString(), outcome: use.outcome, reason: use.reason, ip: use.ip ? use.ip.slice(0, 64) : null });
  trim();
  if (state.buffer.length >= FLUSH_AT) void flushKeyUses();
  else schedule();
}

function schedule(): void {
  if (state.timer) return;
  state.timer = setTimeout(() => {
    state.timer = null;
    void flushKeyUses();
  }, FLUSH_INTERVAL_MS);
  state.timer.unref?.();
}

function trim(): void {
  const excess = state.buffer.length - MAX_BUFFERED;
  if (excess <= 0) return;
  state.buffer.splice(0, excess);
  state.dropped += excess;
}

/**
 * Writes everything buffered so far; resolves when it is in the database (or the write failed and the entries
 * were put back). Tests and shutdown call it; the timer calls it otherwise. Never rejects.
 */
export async function flushKeyUses(): Promise<void> {
  // One write at a time, in order: a second caller waits for the running write, then writes what is left.
  while (state.flushing) await state.flushing;
  if (state.timer) {
    clearTimeout(state.timer);
    state.timer = null;
  }
  if (state.buffer.length === 0) return;
  const batch = state.buffer.splice(0, MAX_BUFFERED);
  state.flushing = write(batch).finally(() => {
    state.flushing = null;
  });
  await state.flushing;
}

async function write(batch: Entry[]): Promise<void> {
  try {
    await withAnonymous((tx) => tx.query("select private.record_key_uses($1::jsonb)", [JSON.stringify(batch)]));
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) {
      // Nothing lost on an outage: put the batch back in front of what arrived meanwhile, and retry later.
      state.buffer.unshift(...batch);
      trim();
      apiLog("warn", "key verification log not written; will retry", { entries: batch.length });
      schedule();
    } else {
      // A batch the database refuses would be refused again: report it instead of retrying forever.
      apiLog("error", "key verification log batch refused", { entries: batch.length, error: error instanceof Error ? error.name : "unknown" });
    }
  }
  if (state.dropped > 0) {
    apiLog("warn", "key verification log entries dropped (buffer full)", { dropped: state.dropped });
    state.dropped = 0;
  }
}
