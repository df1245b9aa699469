"use server";

import { randomUUID } from "node:crypto";
import { revalidatePath } from "next/cache";
import { getSession } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { createProject, deleteProject, renameProject } from "@/lib/projects";
import type { ActionResult } from "@/lib/actions/pipeline";
import type { FormState } from "@/lib/actions/form-state";

// Thin wrappers: the pipeline in lib/projects does authenticate -> Zod -> role -> withTenant -> audit;
// these only bind it to this request and revalidate the page on success.
function toFormState(result: ActionResult<unknown>, success: string): FormState {
  if (result.ok) {
    revalidatePath("/projects");
    return { ok: true, message: success };
  }
  return { ok: false, message: result.message, fieldErrors: result.fieldErrors };
}

export async function createProjectAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await createProject(await getSession(), { name: formData.get("name") }, await currentRequestContext());
  const state = toFormState(result, "Project created.");
  // A refusal (e.g. BIL-1's plan limit) keeps what was typed.
  // `attempt` makes every answer distinct, so the form re-renders with the input even after the same refusal twice.
  return state.ok ? state : { ...state, values: { name: String(formData.get("name") ?? "").slice(0, 200), attempt: randomUUID() } };
}

export async function renameProjectAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await renameProject(await getSession(), { id: formData.get("id"), name: formData.get("name") }, await currentRequestContext());
  const state = toFormState(result, "Project renamed.");
  // A refused rename keeps what was typed, as create does.
  return state.ok ? state : { ...state, values: { name: String(formData.get("name") ?? "").slice(0, 200), attempt: randomUUID() } };
}

export async function deleteProjectAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await deleteProject(await getSession(), { id: formData.get("id") }, await currentRequestContext());
  return toFormState(result, "Project deleted.");
}
