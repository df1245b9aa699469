"use client";

import { useActionState } from "react";
import { initialFormState, type FormState } from "@/lib/actions/form-state";
import { Field, FormMessage, SubmitButton } from "@/components/ui/form";

/** One name field with Save: the org's name (settings) or the user's display name (profile). Keeps input on error. */
export function NameForm({
  action,
  id,
  name,
  label,
  current,
  formLabel,
}: {
  action: (prev: FormState, data: FormData) => Promise<FormState>;
  id: string;
  name: string;
  label: string;
  current: string;
  formLabel: string;
}) {
  const [state, submit] = useActionState(action, initialFormState);
  const value = state.ok === false ? (state.values?.[name] ?? current) : current;
  return (
    <form action={submit} aria-label={formLabel} className="flex flex-col gap-3" noValidate>
      <div className="flex flex-col gap-3 sm:flex-row sm:items-end">
        <div className="min-w-0 flex-1">
          {/* Keyed by the answer, so a refused submission re-renders with what was typed (React resets forms after an action). */}
          <Field key={state.values?.attempt ?? current} id={id} name={name} label={label} defaultValue={value} maxLength={100} required state={state} />
        </div>
        <SubmitButton pendingText="Saving…">Save</SubmitButton>
      </div>
      <FormMessage state={state} />
    </form>
  );
}
