"use client";

import { useActionState } from "react";
import { billingPortalAction, checkoutAction } from "@/app/(dashboard)/settings/billing/actions";
import { initialFormState } from "@/lib/actions/form-state";
import { FormMessage, SubmitButton } from "@/components/ui/form";

/** BIL-1: the owner's buttons: upgrade through Stripe Checkout, or manage the subscription in Stripe's portal. */
export function UpgradeForm({ plan, label }: { plan: string; label: string }) {
  const [state, action] = useActionState(checkoutAction, initialFormState);
  return (
    <form action={action} className="flex flex-col gap-2" aria-label={label}>
      <input type="hidden" name="plan" value={plan} />
      <SubmitButton pendingText="Opening Stripe…">{label}</SubmitButton>
      <FormMessage state={state} />
    </form>
  );
}

export function ManageBillingForm() {
  const [state, action] = useActionState(billingPortalAction, initialFormState);
  return (
    <form action={action} className="flex flex-col gap-2" aria-label="Manage billing">
      <SubmitButton variant="secondary" pendingText="Opening Stripe…">
        Manage billing
      </SubmitButton>
      <FormMessage state={state} />
    </form>
  );
}
