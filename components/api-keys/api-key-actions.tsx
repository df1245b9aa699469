"use client";

import { useActionState, useState } from "react";
import { deleteApiKeyAction, revokeApiKeyAction, rollApiKeyAction } from "@/app/(dashboard)/settings/api-keys/actions";
import { initialFormState } from "@/lib/actions/form-state";
import { initialApiKeySecretState, type ApiKeySecretFormState } from "@/lib/api-keys/form-state";
import { FormMessage, SubmitButton } from "@/components/ui/form";
import { SecretReveal } from "./secret-reveal";
import { ConfirmForm } from "@/components/ui/confirm-dialog";

const GRACE_OPTIONS = [
  { seconds: 3600, label: "1 hour" },
  { seconds: 86_400, label: "24 hours" },
  { seconds: 604_800, label: "7 days" },
];

// KEY-1: the roll's state (holding the new secret) stays in the browser; only the form's data goes to the server.
const submitRoll = (_previous: ApiKeySecretFormState, formData: FormData) => rollApiKeyAction(formData);

/** KEY-2: revoke, roll (with a grace period for the old secret) and delete, each confirmed first. */
export function ApiKeyActions({ apiKey }: { apiKey: { id: string; name: string; revoked: boolean; expired: boolean } }) {
  const [revokeState, revoke] = useActionState(revokeApiKeyAction, initialFormState);
  const [deleteState, remove] = useActionState(deleteApiKeyAction, initialFormState);
  const [rollState, roll] = useActionState(submitRoll, initialApiKeySecretState);
  const [dismissed, setDismissed] = useState<object | null>(null);
  const shown = rollState.ok && rollState.secret && dismissed !== rollState ? rollState.secret : undefined;
  const graceId = `grace-${apiKey.id}`;
  const usable = !apiKey.revoked && !apiKey.expired;

  return (
    <div className="flex flex-col gap-2">
      {shown ? <SecretReveal secret={shown} onDone={() => setDismissed(rollState)} /> : null}
      <div className="flex flex-wrap items-end gap-2">
        {usable ? (
          <ConfirmForm action={roll} className="flex items-end gap-2" message={`Roll “${apiKey.name}”? A new secret is issued; the current one stops working after the grace period.`} confirmLabel="Roll">
            <input type="hidden" name="id" value={apiKey.id} />
            <div className="flex flex-col gap-1">
              <label htmlFor={graceId} className="text-xs text-slate-600">
                Old secret keeps working for
              </label>
              <select
                id={graceId}
                name="graceSeconds"
                defaultValue="86400"
                aria-invalid={rollState.fieldErrors?.graceSeconds ? true : undefined}
                aria-describedby={rollState.fieldErrors?.graceSeconds ? `${graceId}-error` : undefined}
                className="rounded-md border border-slate-300 bg-white px-2 py-2 text-sm"
              >
                {GRACE_OPTIONS.map((o) => (
                  <option key={o.seconds} value={o.seconds}>
                    {o.label}
                  </option>
                ))}
              </select>
            </div>
            <SubmitButton variant="secondary" pendingText="Rolling…">
              Roll
            </SubmitButton>
          </ConfirmForm>
        ) : null}
        {!apiKey.revoked ? (
          <ConfirmForm action={revoke} message={`Revoke “${apiKey.name}”? Requests using it fail immediately. This cannot be undone.`} confirmLabel="Revoke">
            <input type="hidden" name="id" value={apiKey.id} />
            <SubmitButton variant="danger" pendingText="Revoking…">
              Revoke
            </SubmitButton>
          </ConfirmForm>
        ) : null}
        <ConfirmForm action={remove} message={`Delete “${apiKey.name}” and its verification log? This cannot be undone.`} confirmLabel="Delete">
          <input type="hidden" name="id" value={apiKey.id} />
          <SubmitButton variant="danger" pendingText="Deleting…">
            Delete
          </SubmitButton>
        </ConfirmForm>
      </div>
      {rollState.fieldErrors?.graceSeconds ? (
        <p id={`${graceId}-error`} className="text-sm text-red-700">
          {rollState.fieldErrors.graceSeconds.join(" ")}
        </p>
      ) : null}
      <FormMessage state={rollState.ok ? initialFormState : rollState} />
      <FormMessage state={revokeState.ok ? initialFormState : revokeState} />
      <FormMessage state={deleteState.ok ? initialFormState : deleteState} />
    </div>
  );
}
