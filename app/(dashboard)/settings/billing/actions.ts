"use server";

import { redirect } from "next/navigation";
import { getSession } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { openBillingPortal, startCheckout } from "@/lib/billing/checkout";
import type { FormState } from "@/lib/actions/form-state";

// Thin wrappers: lib/billing/checkout.ts authenticates, checks the owner role, talks to Stripe and stores the
// customer; these bind it to this request and send the owner to Stripe's page on success.
export async function checkoutAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await startCheckout(await getSession(), { plan: formData.get("plan") }, await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message };
  redirect(result.data.url);
}

export async function billingPortalAction(_prev: FormState, _formData: FormData): Promise<FormState> {
  const result = await openBillingPortal(await getSession(), await currentRequestContext());
  if (!result.ok) return { ok: false, message: result.message };
  redirect(result.data.url);
}
