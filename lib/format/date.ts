/**
 * The one date format of the product: "1 Dec 2026, 17:06 UTC" (a moment) and "1 Dec 2026" (a day), in UTC, so every
 * page, every viewer and the server render the same text. Safe for client components (no server-only imports).
 */
const DATE_TIME = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
const DATE = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" });
const TIME = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", hour: "2-digit", minute: "2-digit", hour12: false });

type DateInput = Date | string | number | null | undefined;

function toDate(value: DateInput): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A moment: "1 Dec 2026, 17:06 UTC"; `fallback` for a missing or unreadable value. */
export function formatDateTime(value: DateInput, fallback = "—"): string {
  const date = toDate(value);
  return date ? `${DATE_TIME.format(date)} UTC` : fallback;
}

/** A day: "1 Dec 2026". */
export function formatDate(value: DateInput, fallback = "—"): string {
  const date = toDate(value);
  return date ? DATE.format(date) : fallback;
}

/** A time of day: "17:06 UTC". */
export function formatTime(value: DateInput, fallback = "—"): string {
  const date = toDate(value);
  return date ? `${TIME.format(date)} UTC` : fallback;
}

/** The machine-readable value for <time dateTime>. */
export function isoDateTime(value: DateInput): string | undefined {
  return toDate(value)?.toISOString();
}
