"use client";

import { useSearchParams } from "next/navigation";

/** After Stripe Checkout sends the owner back: the plan changes once Stripe's webhook confirms the subscription. */
export function CheckoutNotice() {
  const outcome = useSearchParams()?.get("checkout");
  if (outcome === "success") {
    return (
      <p role="status" className="rounded-lg border border-emerald-300 bg-emerald-50 p-4 text-sm text-emerald-900">
        Thank you. Your new plan applies as soon as Stripe confirms the subscription, usually within a minute; reload this page to see it.
      </p>
    );
  }
  if (outcome === "cancelled") {
    return (
      <p role="status" className="rounded-lg border border-slate-300 bg-slate-50 p-4 text-sm text-slate-800">
        Checkout was cancelled. Nothing was charged and your plan is unchanged.
      </p>
    );
  }
  return null;
}
