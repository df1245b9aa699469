import { z } from "zod";
import { projectId, projectName } from "@/lib/projects/schemas";
import { STATUS, type ErrorCode } from "@/lib/errors";

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
  limit: z.coerce.number().int().min(1).max(100).default(20).describe("Items per page (1–100).").meta({ examples: [20] }),
  cursor: cursorSchema.optional(),
});

export const idParamsSchema = z.object({ id: projectId });
export const documentParamsSchema = z.object({ id: z.uuid({ error: "That document does not exist." }) });

export const exampleProject = {
  id: "3f1c2a9e-8b7d-4c6e-9f1a-2b3c4d5e6f70",
  name: "Q1 launch",
  createdBy: "key_8d0f6c2e-4b1a-4e3f-9a7c-5b2d1e0f3a94",
  createdAt: "2026-11-24T09:30:00.123Z",
  updatedAt: "2026-11-24T09:30:00.123Z",
};

export const exampleDocument = {
  id: "9a7c5b2d-1e0f-4a94-8d0f-6c2e4b1a4e3f",
  projectId: exampleProject.id,
  name: "spec.pdf",
  mimeType: "application/pdf",
  sizeBytes: 48213,
  status: "clean" as const,
  source: "upload" as const,
  createdBy: "user_2pQm7xYz",
  createdAt: "2026-11-24T10:02:17.481Z",
};

/** A documented field: what it means and one example (the linter checks every example against its schema). */
const field = <T extends z.ZodType>(schema: T, description: string, example: unknown) => schema.meta({ description, examples: [example] });
const uuid = (description: string, example: string) => field(z.uuid().length(36), description, example);
const timestamp = (description: string, example: string) => field(z.iso.datetime().min(20), description, example);
const text = (description: string, example: string) => field(z.string().min(1), description, example);
const createdBy = text("Who created it: a user id (`user_…`) or an API key (`key_<id>`).", exampleProject.createdBy);

export const projectSchema = z
  .object({
    id: uuid("The project's id.", exampleProject.id),
    name: text("Display name, 1–100 characters.", exampleProject.name),
    createdBy,
    createdAt: timestamp("When it was created (UTC).", exampleProject.createdAt),
    updatedAt: timestamp("When it was last changed (UTC).", exampleProject.updatedAt),
  })
  .meta({ description: "A project of the key's organisation.", examples: [exampleProject] })
  .register(apiComponents, { id: "Project" });

export const documentSchema = z
  .object({
    id: uuid("The document's id.", exampleDocument.id),
    projectId: uuid("The project the document belongs to.", exampleDocument.projectId),
    name: text("File name as uploaded.", exampleDocument.name),
    mimeType: text("Media type detected at upload.", exampleDocument.mimeType),
    sizeBytes: field(z.number().int().min(0), "Size in bytes.", exampleDocument.sizeBytes),
    status: field(
      z.enum(["pending_scan", "clean", "infected", "rejected", "scan_failed"]),
      "FILE-2: `pending_scan` until the virus scan decides; only `clean` can be downloaded.",
      "clean",
    ).meta({ minLength: 1 }),
    source: field(z.enum(["upload", "url"]), "How it arrived: uploaded, or imported from a URL.", "upload").meta({ minLength: 1 }),
    createdBy,
    createdAt: timestamp("When it was uploaded (UTC).", exampleDocument.createdAt),
  })
  .meta({ description: "A document's metadata (never its content).", examples: [exampleDocument] })
  .register(apiComponents, { id: "Document" });

export const createProjectBody = z
  .strictObject({ name: projectName.meta({ description: "Display name: 1–100 characters, no control or invisible characters.", examples: ["Q1 launch"] }) })
  .meta({ description: "A new project.", examples: [{ name: "Q1 launch" }] })
  .register(apiComponents, { id: "CreateProject" });
export const updateProjectBody = z
  .strictObject({ name: projectName.meta({ description: "The new display name (same rules as on creation).", examples: ["Q1 launch (final)"] }) })
  .meta({ description: "The project's new name.", examples: [{ name: "Q1 launch (final)" }] })
  .register(apiComponents, { id: "UpdateProject" });

export const pageOf = <T extends z.ZodType>(item: T, id: string, what: string) =>
  z
    .object({
      data: z.array(item).describe(`The page's ${what}, newest first.`),
      nextCursor: field(z.string().min(1).nullable(), "Pass as `cursor` for the next page; null on the last page.", "MjAyNi0xMS0yNFQwOTozMDowMC4xMjM0NTZafDNmMWMyYTllLThiN2QtNGM2ZS05ZjFhLTJiM2M0ZDVlNmY3MA"),
    })
    .meta({ description: `One page of ${what}.` })
    .register(apiComponents, { id });

export const projectPage = pageOf(projectSchema, "ProjectPage", "projects");
/** An upload's or import's answer: the document, and whether it was already stored (FILE-4). */
export const uploadedDocumentSchema = documentSchema
  .extend({ duplicate: field(z.boolean(), "True when the organisation already had this content: the existing document is returned and nothing new is stored.", false) })
  .meta({ description: "The uploaded (or already stored) document." })
  .register(apiComponents, { id: "UploadedDocument" });

export const downloadUrlSchema = z
  .object({
    url: field(z.url().min(1), "A signed URL that serves the file once fetched; no Authorization header needed.", "https://app.example.com/api/documents/download?token=v1.x"),
    expiresAt: timestamp("When the URL stops working (UTC).", "2026-11-24T09:35:00.000Z"),
  })
  .meta({ description: "A short-lived download URL." })
  .register(apiComponents, { id: "DownloadUrl" });

/** FILE-1: the media types an upload may declare (and an import may be served as), one per allowed kind. */
export const UPLOAD_MEDIA_TYPES = [
  "application/pdf",
  "image/png",
  "image/jpeg",
  "image/webp",
  "text/plain",
  "text/csv",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];

/** SSRF-1: what an import names: an http(s) URL, and optionally the name to show (else the URL's last segment). */
export const importBody = z
  .strictObject({
    url: z.string().min(1).max(2048).meta({ description: "An http or https URL on the public internet (no credentials).", examples: ["https://example.com/q3.pdf"] }),
    name: z.string().min(1).max(200).optional().meta({ description: "The name to show; by default the URL's last path segment.", examples: ["Q3 report.pdf"] }),
  })
  .register(apiComponents, { id: "ImportDocument" });

export const documentPage = pageOf(documentSchema, "DocumentPage", "documents");

/** Every problem `code` the API can answer, in a stable order (the enum in the document). */
export const ERROR_CODES = Object.keys(STATUS) as [ErrorCode, ...ErrorCode[]];

export const problemSchema = z
  .object({
    type: field(z.url().min(1), "A URI naming the problem type: `https://tenantguard.dev/problems/<code>`.", "https://tenantguard.dev/problems/not_found"),
    title: text("A short, fixed summary of the problem type.", "Not found"),
    status: field(z.number().int().min(400).max(599), "The HTTP status, repeated.", 404),
    // minLength is redundant beside the enum; stated so generators that read only string constraints see it too.
    code: field(z.enum(ERROR_CODES), "Stable machine-readable code; see the error catalogue.", "not_found").meta({ minLength: 1 }),
    detail: field(z.string().optional(), "What went wrong with this request, for people. Never internals.", "That project does not exist."),
    requestId: field(z.string().optional(), "The request's id, as in `X-Request-ID`.", "3b8f2c1e-6a4d-4f7e-9c2b-1d5e8a7f6c30"),
    errors: field(z.record(z.string(), z.array(z.string())).optional(), "Validation messages by field path (`body.name`, `query.limit`).", { "body.name": ["Enter a project name."] }),
  })
  .meta({
    description: "An RFC 9457 problem detail.",
    examples: [{ type: "https://tenantguard.dev/problems/not_found", title: "Not found", status: 404, code: "not_found", detail: "That project does not exist.", requestId: "3b8f2c1e-6a4d-4f7e-9c2b-1d5e8a7f6c30" }],
  })
  .register(apiComponents, { id: "Problem" });
