export const ACTIVITY_DAYS = 14;

export interface ActivityDay {
  /** YYYY-MM-DD (UTC). */
  day: string;
  entries: number;
}

/** The days of the window, oldest first, each with its count (days without entries are 0). */
export function fillDays(rows: { day: string; entries: number }[], today: Date, days = ACTIVITY_DAYS): ActivityDay[] {
  const byDay = new Map(rows.map((r) => [r.day, r.entries]));
  const out: ActivityDay[] = [];
  const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  for (let i = days - 1; i >= 0; i--) {
    const day = new Date(end - i * 86_400_000).toISOString().slice(0, 10);
    out.push({ day, entries: byDay.get(day) ?? 0 });
  }
  return out;
}

