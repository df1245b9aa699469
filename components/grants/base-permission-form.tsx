"use client";

import { useActionState } from "react";
import { setBasePermissionAction } from "@/app/(dashboard)/settings/members/actions";
import { initialFormState } from "@/lib/actions/form-state";
import { FormMessage, SubmitButton } from "@/components/ui/form";

const CHOICES = [
  ["none", "No access: members see only projects shared with them or created by them"],
  ["read", "Read: members see every project; a grant lets them change one"],
  ["write", "Write: members read and change every project"],
] as const;

/** TEN-7: owners and admins choose what members get on projects they hold no grant for. */
export function BasePermissionForm({ current }: { current: string }) {
  const [state, action] = useActionState(setBasePermissionAction, initialFormState);
  return (
    <form action={action} className="mt-3 flex flex-col gap-3">
      <fieldset className="flex flex-col gap-2">
        <legend className="text-sm font-medium text-slate-800">Members&apos; access to projects</legend>
        {CHOICES.map(([value, label]) => (
          <label key={value} className="flex items-start gap-2 text-sm">
            <input type="radio" name="permission" value={value} defaultChecked={current === value} className="mt-1" />
            <span>{label}</span>
          </label>
        ))}
      </fieldset>
      <div>
        <SubmitButton pendingText="Saving…">Save</SubmitButton>
      </div>
      <FormMessage state={state} />
    </form>
  );
}
