"use server";

import { randomUUID } from "node:crypto";
import { revalidatePath } from "next/cache";
import { getSession } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { renameOrganization } from "@/lib/orgs";
import type { FormState } from "@/lib/actions/form-state";

/** TEN-3: owners and admins rename the organisation (audited as org.renamed); a refusal keeps what was typed. */
export async function renameOrganizationAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const name = formData instanceof FormData ? formData.get("name") : null;
  const result = await renameOrganization(await getSession(), { name }, await currentRequestContext());
  if (result.ok) {
    // The sidebar names the org on every page.
    revalidatePath("/", "layout");
    return { ok: true, message: "Organisation renamed." };
  }
  return { ok: false, message: result.message, fieldErrors: result.fieldErrors, values: { name: String(name ?? "").slice(0, 200), attempt: randomUUID() } };
}
