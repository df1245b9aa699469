"use server";

import { getSession } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { runSecurityChecks } from "@/lib/security-center/run";
import type { FormState } from "@/lib/actions/form-state";

/**
 * Thin wrapper: lib/security-center/run.ts does authenticate -> Zod -> role (admin) -> rate limit -> the checks ->
 * withTenant (store the runs, RLS) -> audit (controls.checks_run). The page refreshes itself once the state says ok.
 */
export async function runChecksAction(_prev: FormState, formData: FormData): Promise<FormState> {
  if (!(formData instanceof FormData)) return { ok: false, message: "Please correct the highlighted fields." };
  const result = await runSecurityChecks(await getSession(), { check: formData.get("check") }, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message };
  const { checks, counts } = result.data;
  const found = [counts.fail ? `${counts.fail} failed` : null, counts.warn ? `${counts.warn} with a warning` : null].filter(Boolean).join(", ");
  return { ok: true, message: checks === 1 ? `Check ran: ${found || (counts.pass ? "passed" : "not applicable here")}.` : `${checks} checks ran${found ? `: ${found}` : ", none failed"}.` };
}
