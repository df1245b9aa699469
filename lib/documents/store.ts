import "server-only";
import type { Queryable } from "@/lib/db";
import { NotFoundError } from "@/lib/errors";
import { KEYSET_AT, KEYSET_ORDER, keysetAfter, keysetPage, type KeysetPosition } from "@/lib/pagination/keyset";

/** Document metadata (uploads arrive with the files feature). RLS limits rows to the org and a key's project. */
export interface DocumentRow {
  id: string;
  org_id: string;
  project_id: string;
  name: string;
  mime_type: string;
  size_bytes: number;
  created_by: string;
  created_at: Date;
}

const COLUMNS = "id, org_id, project_id, name, mime_type, size_bytes, created_by, created_at";

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
