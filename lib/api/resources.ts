import "server-only";
import type { z } from "zod";
import type { Project } from "@/lib/projects/store";
import type { DocumentRow } from "@/lib/documents/store";
import { ValidationError } from "@/lib/errors";
import { decodeCursor, type documentSchema, type projectSchema } from "./schemas";

/** Database rows -> the API's public shapes (camelCase; no org id, which the key already implies). */
const iso = (d: Date | string) => new Date(d).toISOString();

export function projectResource(p: Project): z.infer<typeof projectSchema> {
  return { id: p.id, name: p.name, createdBy: p.created_by, createdAt: iso(p.created_at), updatedAt: iso(p.updated_at) };
}

export function documentResource(d: DocumentRow): z.infer<typeof documentSchema> {
  return {
    id: d.id,
    projectId: d.project_id,
    name: d.name,
    mimeType: d.mime_type,
    sizeBytes: Number(d.size_bytes),
    status: d.status,
    source: d.source,
    createdBy: d.created_by,
    createdAt: iso(d.created_at),
  };
}

export function cursorPosition(cursor: string | undefined) {
  if (cursor === undefined) return undefined;
  const position = decodeCursor(cursor);
  if (!position) throw new ValidationError({ "query.cursor": ["Malformed cursor."] });
  return position;
}
