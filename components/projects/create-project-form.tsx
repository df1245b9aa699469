"use client";

import { useActionState, useEffect, useRef } from "react";
import { createProjectAction } from "@/app/(dashboard)/projects/actions";
import { initialFormState } from "@/lib/actions/form-state";
import { Field, FormMessage, SubmitButton } from "@/components/ui/form";

export function CreateProjectForm() {
  const [state, action] = useActionState(createProjectAction, initialFormState);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (state.ok) form.current?.reset();
  }, [state]);
  return (
    <form ref={form} action={action} className="flex flex-col gap-3 sm:flex-row sm:items-end" aria-label="Create project" noValidate>
      <div className="flex-1">
        {/* Keyed by the answer, so a refused submission re-renders with what was typed (React resets forms after an action). */}
        <Field key={state.values ? JSON.stringify(state.values) : "empty"} id="new-project-name" name="name" label="New project name" maxLength={100} required state={state} defaultValue={state.values?.name} />
      </div>
      <SubmitButton pendingText="Creating…">Create project</SubmitButton>
      <FormMessage state={state} />
    </form>
  );
}
