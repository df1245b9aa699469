"use client";

import { useActionState } from "react";
import { auditSettingsAction, signCheckpointAction, verifyChainAction } from "@/app/(dashboard)/settings/audit/actions";
import { initialFormState } from "@/lib/actions/form-state";
import { Field, FormMessage, SubmitButton } from "@/components/ui/form";

/** "Verify chain": the result is announced (role=status / alert) under the button. */
export function VerifyChainForm() {
  const [state, action] = useActionState(verifyChainAction, initialFormState);
  return (
    <form action={action} className="flex flex-col items-start gap-2" aria-label="Verify the audit chain">
      <SubmitButton pendingText="Verifying…">Verify chain</SubmitButton>
      <FormMessage state={state} inline />
    </form>
  );
}

export function SignCheckpointForm() {
  const [state, action] = useActionState(signCheckpointAction, initialFormState);
  return (
    <form action={action} className="flex flex-col items-start gap-2" aria-label="Sign a checkpoint now">
      <SubmitButton variant="secondary" pendingText="Signing…">
        Sign checkpoint now
      </SubmitButton>
      <FormMessage state={state} inline />
    </form>
  );
}

export function RetentionForm({ retentionDays, legalHold }: { retentionDays: number; legalHold: boolean }) {
  const [state, action] = useActionState(auditSettingsAction, initialFormState);
  const days = state.values?.retentionDays ?? String(retentionDays);
  const hold = state.values ? state.values.legalHold === "on" : legalHold;
  return (
    <form action={action} className="flex flex-col gap-3" aria-label="Audit retention">
      <Field id="retention-days" name="retentionDays" label="Keep entries for (days, 30–3650)" type="number" min={30} max={3650} required defaultValue={days} key={days} state={state} />
      <div className="flex items-center gap-2">
        <input id="legal-hold" name="legalHold" type="checkbox" defaultChecked={hold} className="h-4 w-4 rounded border-slate-400" />
        <label htmlFor="legal-hold" className="text-sm text-slate-800">
          Legal hold: remove nothing, whatever its age
        </label>
      </div>
      <div>
        <SubmitButton>Save retention</SubmitButton>
      </div>
      <FormMessage state={state} inline />
    </form>
  );
}
