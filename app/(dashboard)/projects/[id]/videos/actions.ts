"use server";

import { revalidatePath } from "next/cache";
import { getSession } from "@/lib/auth/current";
import { createVideoUpload } from "@/lib/video";
import { currentRequestContext } from "@/lib/http/request-context";

export interface VideoUploadState {
  ok: boolean;
  message?: string;
  fieldErrors?: Record<string, string[]>;
  /** The direct-upload URL the browser PUTs the file to (only on success). */
  uploadUrl?: string;
}

// Thin wrapper around lib/video (pipeline: session -> Zod -> role -> RLS -> Mux -> row + audit).
export async function createVideoUploadAction(input: { projectId: string; title: string }): Promise<VideoUploadState> {
  const result = await createVideoUpload(await getSession(), input, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message, ...(result.fieldErrors ? { fieldErrors: result.fieldErrors } : {}) };
  revalidatePath("/projects/[id]/videos", "page");
  return { ok: true, uploadUrl: result.data.uploadUrl };
}
