import { z } from "zod";

/**
 * Keyset pagination, newest first, shared by every listing (projects, documents, ...): rows are ordered by
 * (created_at desc, id desc) and a page continues strictly after the previous page's last row.
 *
 * The position keeps created_at exactly as PostgreSQL stores it (microseconds). A JavaScript Date keeps
 * milliseconds: a cursor built from one lands between rows of the same millisecond and silently skips them.
 */
export interface KeysetPosition {
  /** created_at in UTC with exactly six fractional digits, e.g. 2026-12-01T08:39:10.123456Z. */
  createdAt: string;
  id: string;
}

/** Select this beside a listing's columns: the row's exact created_at as text, independent of the session's TimeZone. */
export const KEYSET_AT = `to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as keyset_at`;

/** "Strictly after `position`" in (created_at desc, id desc) order: one row-value comparison, which the index serves. */
export const keysetAfter = (createdAtParam: number, idParam: number) => `(created_at, id) < ($${createdAtParam}::timestamptz, $${idParam}::uuid)`;

export const KEYSET_ORDER = "order by created_at desc, id desc";

/** Rows fetched with `limit + 1` -> the page and the position after its last row (null on the last page). */
export function keysetPage<R extends { id: string; keyset_at: string }>(rows: R[], limit: number): { items: Omit<R, "keyset_at">[]; next: KeysetPosition | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const items = page.map(({ keyset_at: _position, ...row }) => row);
  return { items, next: rows.length > limit && last ? { createdAt: last.keyset_at, id: last.id } : null };
}

const position = z.object({
  createdAt: z.iso
    .datetime({ precision: 6 })
    // A timestamp PostgreSQL can hold and a cursor we issued could carry (year 0000 parses as ISO but not as timestamptz).
    .refine((s) => {
      const year = Number(s.slice(0, 4));
      return year >= 1970 && year <= 9999;
    }),
  id: z.uuid(),
});

/** The opaque cursor a client passes back: base64url of `<createdAt>|<id>`. */
export function encodeCursor(at: KeysetPosition | null): string | null {
  return at ? Buffer.from(`${at.createdAt}|${at.id}`).toString("base64url") : null;
}

/** VAL-1: a cursor is decoded and validated, never trusted: anything we could not have issued is undefined (422 upstream). */
export function decodeCursor(cursor: string | undefined): KeysetPosition | undefined {
  if (!cursor) return undefined;
  const parts = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (parts.length !== 2) return undefined;
  const parsed = position.safeParse({ createdAt: parts[0], id: parts[1] });
  return parsed.success ? parsed.data : undefined;
}
