"use client";

import { useActionState } from "react";
import { changeRoleAction, leaveOrganizationAction, removeMemberAction, revokeInviteAction } from "@/app/(dashboard)/settings/members/actions";
import { initialFormState } from "@/lib/actions/form-state";
import { FormMessage, SubmitButton } from "@/components/ui/form";
import { ConfirmForm } from "@/components/ui/confirm-dialog";

export function MemberControls({ userId, name, role, roles }: { userId: string; name: string; role: string; roles: string[] }) {
  const [roleState, roleAction] = useActionState(changeRoleAction, initialFormState);
  const [removeState, removeAction] = useActionState(removeMemberAction, initialFormState);
  const selectId = `role-${userId}`;
  return (
    <div className="flex flex-col gap-2 sm:items-end">
      <div className="flex flex-wrap items-center gap-2">
        <form action={roleAction} className="flex items-center gap-2">
          <input type="hidden" name="userId" value={userId} />
          <label htmlFor={selectId} className="sr-only">
            Role of {name}
          </label>
          <select id={selectId} name="role" defaultValue={role} className="rounded-md border border-slate-300 bg-white px-2 py-2 text-sm">
            {(roles.includes(role) ? roles : [role, ...roles]).map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          <SubmitButton variant="secondary" pendingText="Saving…">
            Change role
          </SubmitButton>
        </form>
        <ConfirmForm action={removeAction} message={`Remove ${name} from the organisation? They lose access at once.`} confirmLabel="Remove">
          <input type="hidden" name="userId" value={userId} />
          <SubmitButton variant="danger" pendingText="Removing…">
            Remove
          </SubmitButton>
        </ConfirmForm>
      </div>
      <FormMessage state={roleState} />
      <FormMessage state={removeState} />
    </div>
  );
}

export function RevokeInviteForm({ id, email }: { id: string; email: string }) {
  const [state, action] = useActionState(revokeInviteAction, initialFormState);
  return (
    <ConfirmForm action={action} className="flex flex-col gap-1 sm:items-end" message={`Revoke the invite for ${email}? The link stops working at once.`} confirmLabel="Revoke">
      <input type="hidden" name="id" value={id} />
      <SubmitButton variant="danger" pendingText="Revoking…">
        Revoke
      </SubmitButton>
      <FormMessage state={state} />
    </ConfirmForm>
  );
}

export function LeaveOrganizationForm() {
  const [state, action] = useActionState(leaveOrganizationAction, initialFormState);
  return (
    <ConfirmForm action={action} className="mt-3 flex flex-col gap-2" message={"Leave this organisation? You lose access at once."} confirmLabel="Leave">
      <div>
        <SubmitButton variant="danger" pendingText="Leaving…">
          Leave organisation
        </SubmitButton>
      </div>
      <FormMessage state={state} />
    </ConfirmForm>
  );
}
