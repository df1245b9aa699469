"use client";

import { useActionState } from "react";
import { acceptInviteAction, createAccountAndJoinAction } from "@/app/(auth)/invite/[token]/actions";
import { initialFormState } from "@/lib/actions/form-state";
import { Field, FormMessage, SubmitButton } from "@/components/ui/form";

export function AcceptInviteForm({ token }: { token: string }) {
  const [state, action] = useActionState(acceptInviteAction, initialFormState);
  return (
    <form action={action} className="flex flex-col gap-3">
      <input type="hidden" name="token" value={token} />
      <FormMessage state={state} />
      <SubmitButton pendingText="Joining…">Accept and join</SubmitButton>
    </form>
  );
}

export function CreateInvitedAccountForm({ token, email }: { token: string; email: string }) {
  const [state, action] = useActionState(createAccountAndJoinAction, initialFormState);
  return (
    <form action={action} className="flex flex-col gap-4" noValidate>
      <input type="hidden" name="token" value={token} />
      <p className="text-sm text-slate-700">Create your account to accept.</p>
      <div className="flex flex-col gap-1">
        <label htmlFor="invite-email" className="text-sm font-medium text-slate-800">
          Email
        </label>
        <input id="invite-email" value={email} readOnly autoComplete="username" className="rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-sm" />
      </div>
      <Field id="displayName" name="displayName" label="Your name (optional)" autoComplete="name" maxLength={100} state={state} />
      <Field id="password" name="password" label="Password (at least 12 characters)" type="password" autoComplete="new-password" required minLength={12} state={state} />
      <FormMessage state={state} />
      <SubmitButton pendingText="Creating your account…">Create account and join</SubmitButton>
    </form>
  );
}
