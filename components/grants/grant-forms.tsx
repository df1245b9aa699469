"use client";

import { useActionState } from "react";
import { changeGrantAction, grantAccessAction, revokeGrantAction } from "@/app/(dashboard)/projects/[id]/sharing/actions";
import { initialFormState, type FormState } from "@/lib/actions/form-state";
import { FormMessage, SubmitButton } from "@/components/ui/form";
import { ConfirmForm } from "@/components/ui/confirm-dialog";

const ROLES = ["viewer", "editor", "manager"] as const;

function Errors({ id, state, name }: { id: string; state: FormState; name: string }) {
  const errors = state.fieldErrors?.[name];
  return errors ? (
    <p id={id} className="text-sm text-red-700">
      {errors.join(" ")}
    </p>
  ) : null;
}

/** TEN-7: email + role + optional expiry. After an error the form shows what was typed (state.values). */
export function GrantAccessForm({ projectId }: { projectId: string }) {
  const [state, action] = useActionState(grantAccessAction, initialFormState);
  const values = state.ok === false ? state.values : undefined;
  // A new key per answer re-mounts the inputs with the values the server echoed back.
  const key = JSON.stringify(values ?? {}) + String(state.message ?? "");
  return (
    <form action={action} key={key} className="mt-3 flex flex-col gap-3" noValidate>
      <input type="hidden" name="projectId" value={projectId} />
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start">
        <div className="flex flex-1 flex-col gap-1">
          <label htmlFor="grant-email" className="text-sm font-medium text-slate-800">
            Email
          </label>
          <input
            id="grant-email"
            name="email"
            type="email"
            required
            maxLength={320}
            autoComplete="off"
            defaultValue={values?.email ?? ""}
            aria-invalid={state.fieldErrors?.email ? true : undefined}
            aria-describedby={state.fieldErrors?.email ? "grant-email-error" : "grant-email-hint"}
            className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm aria-[invalid]:border-red-500"
          />
          <p id="grant-email-hint" className="text-xs text-slate-600">
            A member or guest of the organisation. To share with someone outside it, create an invite link below.
          </p>
          <Errors id="grant-email-error" state={state} name="email" />
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="grant-role" className="text-sm font-medium text-slate-800">
            Role
          </label>
          <select id="grant-role" name="role" defaultValue={values?.role ?? "viewer"} className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          <Errors id="grant-role-error" state={state} name="role" />
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="grant-days" className="text-sm font-medium text-slate-800">
            Expires after (days, optional)
          </label>
          <input
            id="grant-days"
            name="expiresInDays"
            inputMode="numeric"
            defaultValue={values?.expiresInDays ?? ""}
            aria-invalid={state.fieldErrors?.expiresInDays ? true : undefined}
            aria-describedby={state.fieldErrors?.expiresInDays ? "grant-days-error" : undefined}
            className="w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm sm:w-40 aria-[invalid]:border-red-500"
          />
          <Errors id="grant-days-error" state={state} name="expiresInDays" />
        </div>
        <div className="sm:mt-6">
          <SubmitButton pendingText="Sharing…">Share</SubmitButton>
        </div>
      </div>
      <FormMessage state={state} />
    </form>
  );
}

export function GrantControls({ projectId, userId, name, role, guest }: { projectId: string; userId: string; name: string; role: string; guest: boolean }) {
  const [changeState, changeAction] = useActionState(changeGrantAction, initialFormState);
  const [revokeState, revokeAction] = useActionState(revokeGrantAction, initialFormState);
  const roles = guest ? ROLES.filter((r) => r !== "manager") : ROLES;
  return (
    <div className="flex flex-col gap-2 sm:items-end">
      <div className="flex flex-wrap items-end gap-2">
        <form action={changeAction} className="flex flex-wrap items-end gap-2">
          <input type="hidden" name="projectId" value={projectId} />
          <input type="hidden" name="userId" value={userId} />
          <label htmlFor={`grant-role-${userId}`} className="sr-only">
            Role of {name}
          </label>
          <select id={`grant-role-${userId}`} name="role" defaultValue={role} className="rounded-md border border-slate-300 bg-white px-2 py-2 text-sm">
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          <label htmlFor={`grant-days-${userId}`} className="sr-only">
            Expires after days, for {name}
          </label>
          <input id={`grant-days-${userId}`} name="expiresInDays" inputMode="numeric" placeholder="days" className="w-20 rounded-md border border-slate-300 bg-white px-2 py-2 text-sm" />
          <SubmitButton variant="secondary" pendingText="Saving…">
            Change
          </SubmitButton>
        </form>
        <ConfirmForm action={revokeAction} message={`Revoke ${name}'s access to this project? It ends at once.`} confirmLabel="Revoke">
          <input type="hidden" name="projectId" value={projectId} />
          <input type="hidden" name="userId" value={userId} />
          <SubmitButton variant="danger" pendingText="Revoking…">
            Revoke
          </SubmitButton>
        </ConfirmForm>
      </div>
      <FormMessage state={changeState} />
      <FormMessage state={revokeState} />
    </div>
  );
}
