"use client";

import { useActionState } from "react";
import { verifySecondFactorAction } from "@/app/(auth)/actions";
import { initialFormState } from "@/lib/actions/form-state";
import { Field, FormMessage, SubmitButton } from "@/components/ui/form";

export function SecondFactorSignInForm({ next }: { next: string }) {
  const [state, action] = useActionState(verifySecondFactorAction, initialFormState);
  return (
    <form action={action} className="flex flex-col gap-4" noValidate>
      <input type="hidden" name="next" value={next} />
      <Field id="code" name="code" label="Verification code" inputMode="text" autoComplete="one-time-code" autoFocus required maxLength={64} state={state} />
      <FormMessage state={state} />
      <SubmitButton pendingText="Verifying…">Verify</SubmitButton>
    </form>
  );
}
