"use client";

import { useActionState } from "react";
import { signInAction } from "@/app/(auth)/actions";
import { initialFormState } from "@/lib/actions/form-state";
import { Field, FormMessage, SubmitButton } from "@/components/ui/form";

export function SignInForm({ next }: { next: string }) {
  const [state, action] = useActionState(signInAction, initialFormState);
  return (
    <form action={action} className="flex flex-col gap-4" noValidate>
      <input type="hidden" name="next" value={next} />
      {/* Keyed by the answer, so a refused sign-in re-renders with the email that was typed (React resets forms after an action). */}
      <Field key={state.values?.attempt ?? "new"} id="email" name="email" label="Email" type="email" autoComplete="username" required state={state} defaultValue={state.values?.email} />
      <Field id="password" name="password" label="Password" type="password" autoComplete="current-password" required state={state} />
      <FormMessage state={state} />
      <SubmitButton pendingText="Signing in…">Sign in</SubmitButton>
    </form>
  );
}
