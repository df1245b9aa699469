import { z } from "zod";
import { displayName } from "@/lib/validation/text";

/** VAL-1: one schema per resource, shared by server actions, the partner API and OpenAPI later. */
export const projectName = displayName({ max: 100, empty: "Enter a project name." });

export const projectId = z.uuid({ error: "That project does not exist." });

export const createProjectSchema = z.object({ name: projectName });
export const renameProjectSchema = z.object({ id: projectId, name: projectName });
export const deleteProjectSchema = z.object({ id: projectId });
export const viewProjectSchema = z.object({ id: projectId });
