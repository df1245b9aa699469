"use server";

import { revalidatePath } from "next/cache";
import { getSession } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { replayWebhookEvent } from "@/lib/webhooks/log";
import type { FormState } from "@/lib/actions/form-state";

const PAGE = "/settings/webhooks";

const OUTCOME_MESSAGE: Record<string, string> = {
  processed: "Replayed: the event was processed.",
  ignored: "Replayed: the event needed no change (see its note).",
  duplicate: "Nothing to do: the event had already been processed.",
  failed: "The replay failed again; the error is shown on the delivery.",
};

/** WH-3: re-runs a failed delivery from its stored, verified payload (admins of its org only: lib/webhooks/log.ts). */
export async function replayWebhookAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await replayWebhookEvent(await getSession(), { id: formData.get("id") }, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message, fieldErrors: result.fieldErrors };
  revalidatePath(PAGE);
  return { ok: result.data.outcome !== "failed", message: OUTCOME_MESSAGE[result.data.outcome] ?? "Replayed." };
}
