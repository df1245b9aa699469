"use server";

import { randomUUID } from "node:crypto";
import { revalidatePath } from "next/cache";
import { getSession } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { setDisplayName } from "@/lib/profile";
import type { FormState } from "@/lib/actions/form-state";

/** The signed-in user's display name (audited as user.display_name_changed); a refusal keeps what was typed. */
export async function updateDisplayNameAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const displayName = formData instanceof FormData ? formData.get("displayName") : null;
  const result = await setDisplayName(await getSession(), { displayName }, await currentRequestContext());
  if (result.ok) {
    // The sidebar names the signed-in user on every page.
    revalidatePath("/", "layout");
    return { ok: true, message: "Display name saved." };
  }
  return { ok: false, message: result.message, fieldErrors: result.fieldErrors, values: { displayName: String(displayName ?? "").slice(0, 200), attempt: randomUUID() } };
}
