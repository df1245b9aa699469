"use client";

import { useActionState } from "react";
import { acceptLinkAction, createAccountAndRedeemAction } from "@/app/(auth)/share/[projectId]/[token]/actions";
import { initialFormState } from "@/lib/actions/form-state";
import { Field, FormMessage, SubmitButton } from "@/components/ui/form";

export function AcceptLinkForm({ projectId, token }: { projectId: string; token: string }) {
  const [state, action] = useActionState(acceptLinkAction, initialFormState);
  return (
    <form action={action} className="flex flex-col gap-3">
      <input type="hidden" name="projectId" value={projectId} />
      <input type="hidden" name="token" value={token} />
      <FormMessage state={state} />
      <SubmitButton pendingText="Opening…">Accept and open the project</SubmitButton>
    </form>
  );
}

export function CreateLinkAccountForm({ projectId, token }: { projectId: string; token: string }) {
  const [state, action] = useActionState(createAccountAndRedeemAction, initialFormState);
  const values = state.ok === false ? state.values : undefined;
  return (
    <form action={action} key={JSON.stringify(values ?? {}) + String(state.message ?? "")} className="flex flex-col gap-4" noValidate>
      <input type="hidden" name="projectId" value={projectId} />
      <input type="hidden" name="token" value={token} />
      <Field id="email" name="email" label="Email" type="email" autoComplete="username" required maxLength={320} defaultValue={values?.email ?? ""} state={state} />
      <Field id="displayName" name="displayName" label="Your name (optional)" autoComplete="name" maxLength={100} defaultValue={values?.displayName ?? ""} state={state} />
      <Field id="password" name="password" label="Password (at least 12 characters)" type="password" autoComplete="new-password" required minLength={12} state={state} />
      <FormMessage state={state} />
      <SubmitButton pendingText="Creating your account…">Create account and open</SubmitButton>
    </form>
  );
}
