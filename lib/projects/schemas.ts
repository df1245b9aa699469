import { z } from "zod";

/** VAL-1: one schema per resource, shared by server actions, the partner API and OpenAPI later. */
export const projectName = z
  .string({ error: "Enter a project name." })
  .trim()
  .min(1, "Enter a project name.")
  .max(100, "Use at most 100 characters.")
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), "Control characters are not allowed.")
  .refine((v) => v.isWellFormed(), "The name is not valid Unicode.");

export const projectId = z.uuid({ error: "That project does not exist." });

export const createProjectSchema = z.object({ name: projectName });
export const renameProjectSchema = z.object({ id: projectId, name: projectName });
export const deleteProjectSchema = z.object({ id: projectId });
export const viewProjectSchema = z.object({ id: projectId });
