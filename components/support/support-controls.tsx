"use client";

import { useActionState } from "react";
import { revokeSupportAction } from "@/app/(dashboard)/settings/support-access/actions";
import { startSupportAction } from "@/app/(dashboard)/support/actions";
import { initialFormState } from "@/lib/actions/form-state";
import { FormMessage, SubmitButton } from "@/components/ui/form";
import { ConfirmForm } from "@/components/ui/confirm-dialog";

export function RevokeSupportForm({ id, operator }: { id: string; operator: string }) {
  const [state, action] = useActionState(revokeSupportAction, initialFormState);
  return (
    <ConfirmForm action={action} className="flex flex-col gap-1 sm:items-end" message={`Revoke support access for ${operator}? Their session ends on its next request.`} confirmLabel="Revoke">
      <input type="hidden" name="id" value={id} />
      <SubmitButton variant="danger" pendingText="Revoking…">
        Revoke
      </SubmitButton>
      <FormMessage state={state} />
    </ConfirmForm>
  );
}

export function StartSupportForm({ orgId, orgName }: { orgId: string; orgName: string }) {
  const [state, action] = useActionState(startSupportAction, initialFormState);
  return (
    <form action={action} className="flex flex-col gap-1 sm:items-end">
      <input type="hidden" name="orgId" value={orgId} />
      <SubmitButton pendingText="Starting…">
        <span>
          Start support session<span className="sr-only"> in {orgName}</span>
        </span>
      </SubmitButton>
      <FormMessage state={state} />
    </form>
  );
}
