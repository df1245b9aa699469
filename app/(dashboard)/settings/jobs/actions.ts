"use server";

import { getSession } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { retryDeadJob } from "@/lib/jobs/manage";
import type { FormState } from "@/lib/actions/form-state";

/**
 * Thin wrapper: lib/jobs/manage.ts does authenticate -> Zod -> role (admin) -> withTenant (RLS: own org's dead jobs
 * only) -> audit. The page refreshes itself once the state says ok.
 */
export async function retryJobAction(_prev: FormState, formData: FormData): Promise<FormState> {
  if (!(formData instanceof FormData)) return { ok: false, message: "Please correct the highlighted fields." };
  const result = await retryDeadJob(await getSession(), { id: formData.get("id") }, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message };
  return { ok: true, message: "Re-queued: the job will run again shortly." };
}
