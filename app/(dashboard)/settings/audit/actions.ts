"use server";

import { revalidatePath } from "next/cache";
import { getSession } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { signCheckpointNow, updateAuditSettings, verifyOrgChain } from "@/lib/audit/log";
import type { FormState } from "@/lib/actions/form-state";

const PAGE = "/settings/audit";

/** AUD-2 / AUD-5: verifies the org's chain against its head and latest signed checkpoint, and says what it found. */
export async function verifyChainAction(_prev: FormState, _formData: FormData): Promise<FormState> {
  const result = await verifyOrgChain(await getSession());
  if (!result.ok) return { ok: false, message: result.message };
  const { entries, breaks, checkpoint } = result.data;
  const anchor = checkpoint ? ` against the signed checkpoint at entry ${checkpoint.seq} (${checkpoint.signed_at})` : " (no signed checkpoint yet)";
  if (breaks.length === 0) return { ok: true, message: `Chain intact: ${entries} entries verified${anchor}.` };
  const first = breaks[0]!;
  return { ok: false, message: `Chain BROKEN at entry ${first.seq}: ${first.reason.replace(/-/g, " ")}. ${entries} entries read${anchor}.` };
}

export async function signCheckpointAction(_prev: FormState, _formData: FormData): Promise<FormState> {
  const result = await signCheckpointNow(await getSession(), {}, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message };
  revalidatePath(PAGE);
  return { ok: true, message: result.data ? `Checkpoint signed at entry ${result.data.seq}.` : "Nothing to sign yet." };
}

/** AUD-4: retention and legal hold; the form keeps its input on an error. */
export async function auditSettingsAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const values = { retentionDays: String(formData.get("retentionDays") ?? ""), legalHold: formData.get("legalHold") === "on" ? "on" : "" };
  const result = await updateAuditSettings(await getSession(), values, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message, fieldErrors: result.fieldErrors, values };
  revalidatePath(PAGE);
  return { ok: true, message: `Saved: entries are kept ${result.data.retentionDays} days${result.data.legalHold ? ", and none is removed while the legal hold is on" : ""}.` };
}
