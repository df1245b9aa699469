import "server-only";
import type { Queryable } from "@/lib/db";
import { NotFoundError } from "@/lib/errors";
import { KEYSET_AT, KEYSET_ORDER, keysetAfter, keysetPage, type KeysetPosition } from "@/lib/pagination/keyset";

/** Document metadata (FILE-1..4: lib/documents/pipeline). RLS limits rows to the org and a key's project. */
export interface DocumentRow {
  id: string;
  org_id: string;
  project_id: string;
  /** The display name (sanitised, never a path). */
  name: string;
  mime_type: string;
  size_bytes: number;
  /** FILE-2: only `clean` is ever served. */
  status: "pending_scan" | "clean" | "infected" | "rejected" | "scan_failed";
  /** FILE-4: SHA-256 hex; null for metadata recorded before uploads existed. */
  content_hash: string | null;
  source: "upload" | "url";
  scanned_at: Date | null;
  created_by: string;
  created_at: Date;
}

export const DOCUMENT_COLUMNS = "id, org_id, project_id, name, mime_type, size_bytes, status, content_hash, source, scanned_at, created_by, created_at";
const COLUMNS = DOCUMENT_COLUMNS;

/** Keyset pagination, newest first (lib/pagination/keyset), optionally within one project. */
export async function pageDocuments(
  tx: Queryable,
  page: { projectId?: string; limit: number; after?: KeysetPosition },
): Promise<{ items: DocumentRow[]; next: KeysetPosition | null }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (page.projectId) {
    params.push(page.projectId);
    where.push(`project_id = $${params.length}`);
  }
  if (page.after) {
    params.push(page.after.createdAt, page.after.id);
    where.push(keysetAfter(params.length - 1, params.length));
  }
  params.push(page.limit + 1);
  const rows = await tx.query<DocumentRow & { keyset_at: string }>(
    `select ${COLUMNS}, ${KEYSET_AT} from public.documents ${where.length ? `where ${where.join(" and ")}` : ""}
     ${KEYSET_ORDER} limit $${params.length}`,
    params,
  );
  return keysetPage(rows, page.limit);
}

export async function getDocument(tx: Queryable, id: string): Promise<DocumentRow> {
  const [doc] = await tx.query<DocumentRow>(`select ${COLUMNS} from public.documents where id = $1`, [id]);
  if (!doc) throw new NotFoundError("document", id);
  return doc;
}
