import { z } from "zod";
import { projectId, projectName } from "@/lib/projects/schemas";

export { decodeCursor, encodeCursor } from "@/lib/pagination/keyset";

/** VAL-1: partner-API schemas. The handlers validate with them and the OpenAPI document is generated from them. */

/** Named schemas that become `#/components/schemas/<id>` in the OpenAPI document. */
export const apiComponents = z.registry<{ id: string }>();

export const cursorSchema = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9_-]+$/, "Malformed cursor.")
  .describe("Opaque cursor from a previous page's `nextCursor`.");

export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe("Items per page (1–100)."),
  cursor: cursorSchema.optional(),
});

export const idParamsSchema = z.object({ id: projectId });
export const documentParamsSchema = z.object({ id: z.uuid({ error: "That document does not exist." }) });

export const projectSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    createdBy: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .register(apiComponents, { id: "Project" });

export const documentSchema = z
  .object({
    id: z.uuid(),
    projectId: z.uuid(),
    name: z.string(),
    mimeType: z.string(),
    sizeBytes: z.number().int(),
    createdBy: z.string(),
    createdAt: z.iso.datetime(),
  })
  .register(apiComponents, { id: "Document" });

export const createProjectBody = z.strictObject({ name: projectName }).register(apiComponents, { id: "CreateProject" });
export const updateProjectBody = z.strictObject({ name: projectName }).register(apiComponents, { id: "UpdateProject" });

export const pageOf = <T extends z.ZodType>(item: T, id: string) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() }).register(apiComponents, { id });

export const projectPage = pageOf(projectSchema, "ProjectPage");
export const documentPage = pageOf(documentSchema, "DocumentPage");

export const problemSchema = z
  .object({
    type: z.url(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.record(z.string(), z.array(z.string())).optional(),
  })
  .register(apiComponents, { id: "Problem" });
