import "server-only";
import { DatabaseUnavailableError, withKeyLogWriter } from "@/lib/db";
import { apiLog } from "@/lib/api/log";
import { env } from "@/lib/env";

/**
 * KEY-2: the per-key verification log and `last_used_at`, without a database write on the request path.
 *
 * Each instance buffers its verifications (successes and failures, in the order they happened, with their own
 * times; a run of identical ones as one entry with a count) and writes them in one statement
 * (private.record_key_uses) every API_KEY_LOG_FLUSH_MS (default one second), or sooner when the buffer fills.
 * The database keeps the newest 200 entries per key (trimmed once a minute per key and instance, so a busy key
 * may briefly hold a few more) and moves last_used_at at most once a minute.
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
  /** The latest of the run (epoch ms; written as an ISO timestamp). */
  at: number;
  outcome: KeyUse["outcome"];
  reason: string | null;
  ip: string | null;
  /** How many identical verifications in a row this entry stands for. */
  repeats: number;
}

const FLUSH_AT = 500;
const MAX_BUFFERED = 10_000;
/** Each key's log is trimmed to its newest 200 entries at most this often per instance. */
const TRIM_EVERY_MS = 60_000;

interface State {
  buffer: Entry[];
  /** Each key's newest entry in the buffer, to extend a run of identical verifications instead of adding a row. */
  lastOfKey: Map<string, Entry>;
  /** When this instance last asked the database to trim each key's log. */
  trimmedAt: Map<string, number>;
  timer: ReturnType<typeof setTimeout> | null;
  flushing: Promise<void> | null;
  dropped: number;
}

// One buffer per process, however often the module is evaluated (dev reloads).
const holder = globalThis as typeof globalThis & { __tenantguardKeyUses?: State };
const state: State = (holder.__tenantguardKeyUses ??= { buffer: [], lastOfKey: new Map(), trimmedAt: new Map(), timer: null, flushing: null, dropped: 0 });

/**
 * Records one verification; it reaches the database within about a second. Never throws, never waits. A repeat of
 * the key's previous verification (same outcome, reason and IP) extends that entry (`repeats`, latest `at`).
 */
export function recordKeyUse(use: KeyUse): void {
  const at = Date.now();
  const ip = use.ip ? use.ip.slice(0, 64) : null;
  const last = state.lastOfKey.get(use.keyId);
  if (last && last.outcome === use.outcome && last.reason === use.reason && last.ip === ip) {
    last.repeats++;
    last.at = at;
    schedule();
    return;
  }
  const entry: Entry = { key_id: use.keyId, at, outcome: use.outcome, reason: use.reason, ip, repeats: 1 };
  state.buffer.push(entry);
  state.lastOfKey.set(use.keyId, entry);
  trim();
  if (state.buffer.length >= FLUSH_AT) void flushKeyUses();
  else schedule();
}

function schedule(): void {
  if (state.timer) return;
  state.timer = setTimeout(() => {
    state.timer = null;
    void flushKeyUses();
  }, env.API_KEY_LOG_FLUSH_MS);
  state.timer.unref?.();
}

function trim(): void {
  const excess = state.buffer.length - MAX_BUFFERED;
  if (excess <= 0) return;
  for (const gone of state.buffer.splice(0, excess)) {
    state.dropped += gone.repeats;
    if (state.lastOfKey.get(gone.key_id) === gone) state.lastOfKey.delete(gone.key_id);
  }
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
  // Entries on their way to the database are no longer extended; the next repeat starts a new one.
  state.lastOfKey.clear();
  state.flushing = write(batch).finally(() => {
    state.flushing = null;
  });
  await state.flushing;
}

/** The keys of this batch whose log this instance has not trimmed in the last minute. */
function keysToTrim(batch: Entry[]): string[] {
  const now = Date.now();
  for (const [keyId, at] of state.trimmedAt) if (now - at >= TRIM_EVERY_MS) state.trimmedAt.delete(keyId);
  const due = new Set<string>();
  for (const e of batch) if (!state.trimmedAt.has(e.key_id)) due.add(e.key_id);
  for (const keyId of due) state.trimmedAt.set(keyId, now);
  return [...due];
}

async function write(batch: Entry[]): Promise<void> {
  try {
    const trim = keysToTrim(batch);
    const entries = JSON.stringify(batch, (field, value: unknown) => (field === "at" && typeof value === "number" ? new Date(value).toISOString() : value));
    await withKeyLogWriter((tx) => tx.query("select private.record_key_uses($1::jsonb, $2::uuid[])", [entries, trim]));
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
