"use client";

import { useActionState } from "react";
import { confirmTotpAction, setSecondFactorRuleAction, stepUpAction } from "@/app/(dashboard)/account/security/actions";
import { initialFormState, type FormState } from "@/lib/actions/form-state";
import { Field, FormMessage, SubmitButton } from "@/components/ui/form";

export interface RecoveryCodesFormState extends FormState {
  /** Shown once, right after enrolment; never stored in the clear. */
  recoveryCodes?: string[];
}

export function ConfirmTotpForm() {
  const [state, action] = useActionState(confirmTotpAction, initialFormState as RecoveryCodesFormState);
  if (state.ok && state.recoveryCodes) {
    return (
      <div className="flex flex-col gap-3" role="status">
        <p className="text-sm font-medium text-emerald-700">{state.message}</p>
        <p className="text-sm text-slate-700">
          Your recovery codes, shown only now. Each works once, instead of a code from your app. Keep them somewhere safe.
        </p>
        <ul aria-label="Recovery codes" className="grid grid-cols-1 gap-1 rounded-md bg-slate-50 p-3 font-mono text-sm sm:grid-cols-2">
          {state.recoveryCodes.map((code) => (
            <li key={code}>{code}</li>
          ))}
        </ul>
      </div>
    );
  }
  return (
    <form action={action} className="flex flex-col gap-3" noValidate>
      <Field id="totp-confirm" name="code" label="Code from your app" inputMode="numeric" autoComplete="one-time-code" required maxLength={6} state={state} />
      <FormMessage state={state} />
      <SubmitButton pendingText="Checking…">Turn on two-step verification</SubmitButton>
    </form>
  );
}

export function StepUpForm({ next }: { next: string }) {
  const [state, action] = useActionState(stepUpAction, initialFormState);
  return (
    <form action={action} className="flex flex-col gap-3" noValidate>
      <input type="hidden" name="next" value={next} />
      <Field id="totp-step-up" name="code" label="Code from your authenticator app" inputMode="numeric" autoComplete="one-time-code" required maxLength={6} state={state} />
      <FormMessage state={state} />
      <SubmitButton pendingText="Verifying…">Verify now</SubmitButton>
    </form>
  );
}

export function SecondFactorRuleForm({ required, windowMinutes }: { required: boolean; windowMinutes: number }) {
  const [state, action] = useActionState(setSecondFactorRuleAction, initialFormState);
  const checked = state.values ? state.values.required === "on" : required;
  return (
    <form action={action} className="flex flex-col gap-3" noValidate>
      <label className="flex items-center gap-2 text-sm font-medium text-slate-800">
        <input type="checkbox" name="required" defaultChecked={checked} className="h-4 w-4" />
        Require two-step verification for API keys, members, billing and other sensitive operations
      </label>
      <Field
        id="second-factor-window"
        name="windowMinutes"
        label="Step-up window (minutes) for creating keys"
        type="number"
        min={1}
        max={1440}
        defaultValue={state.values?.windowMinutes ?? String(windowMinutes)}
        state={state}
      />
      <FormMessage state={state} />
      <SubmitButton pendingText="Saving…">Save</SubmitButton>
    </form>
  );
}
