import "server-only";
import type { Queryable } from "@/lib/db";
import { NotFoundError } from "@/lib/errors";

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

export async function pageDocuments(tx: Queryable, page: { projectId?: string; limit: number; after?: { createdAt: string; id: string } }) {
  const where: string[] = [];
  const params: unknown[] = [];
  if (page.projectId) {
    params.push(page.projectId);
    where.push(`project_id = $${params.length}`);
  }
  if (page.after) {
    params.push(page.after.createdAt, page.after.id);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(page.limit + 1);
  const rows = await tx.query<DocumentRow>(
    `select ${COLUMNS} from public.documents ${where.length ? `where ${where.join(" and ")}` : ""}
     order by created_at desc, id desc limit $${params.length}`,
    params,
  );
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return { items, next: rows.length > page.limit && last ? { createdAt: new Date(last.created_at).toISOString(), id: last.id } : null };
}

export async function getDocument(tx: Queryable, id: string): Promise<DocumentRow> {
  const [doc] = await tx.query<DocumentRow>(`select ${COLUMNS} from public.documents where id = $1`, [id]);
  if (!doc) throw new NotFoundError("document", id);
  return doc;
}
