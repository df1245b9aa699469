"use client";

import { useEffect, useRef } from "react";
import { useFormStatus } from "react-dom";
import { useToast } from "./toast";
import type { FormState } from "@/lib/actions/form-state";
import { ConfirmForm } from "./confirm-dialog";

export function SubmitButton({ children, pendingText, variant = "primary" }: { children: React.ReactNode; pendingText?: string; variant?: "primary" | "danger" | "secondary" }) {
  const { pending } = useFormStatus();
  const styles = {
    primary: "bg-indigo-600 text-white hover:bg-indigo-700",
    danger: "bg-white text-red-700 ring-1 ring-red-300 hover:bg-red-50",
    secondary: "bg-white text-slate-800 ring-1 ring-slate-300 hover:bg-slate-100",
  }[variant];
  return (
    <button type="submit" disabled={pending} aria-disabled={pending} className={`rounded-md px-3 py-2 text-sm font-medium disabled:opacity-60 ${styles}`}>
      {pending ? (pendingText ?? "Working…") : children}
    </button>
  );
}

export function Field({ id, label, state, name, ...input }: { id: string; label: string; name: string; state: FormState } & React.InputHTMLAttributes<HTMLInputElement>) {
  const errors = state.fieldErrors?.[name];
  const errorId = `${id}-error`;
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium text-slate-800">
        {label}
      </label>
      <input
        id={id}
        name={name}
        aria-invalid={errors ? true : undefined}
        aria-describedby={errors ? errorId : undefined}
        className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200 aria-[invalid]:border-red-500"
        {...input}
      />
      {errors ? (
        <p id={errorId} className="text-sm text-red-700">
          {errors.join(" ")}
        </p>
      ) : null}
    </div>
  );
}

/**
 * A form's answer. Errors stay next to the form (role=alert); a success becomes a toast in the dashboard's toast
 * region, or stays inline where there is none (sign-in pages) or where the result is worth keeping on screen (`inline`).
 */
export function FormMessage({ state, inline = false }: { state: FormState; inline?: boolean }) {
  const toast = useToast();
  const asToast = !inline && !!toast && state.ok === true && !!state.message;
  // Once per answer (an effect may run twice for the same one).
  const shown = useRef<FormState | null>(null);
  useEffect(() => {
    if (asToast && shown.current !== state) {
      shown.current = state;
      toast!(state.message!);
    }
  }, [asToast, state, toast]);
  if (!state.message || asToast) return null;
  return (
    <p role={state.ok ? "status" : "alert"} className={`break-words text-sm ${state.ok ? "text-emerald-700" : "text-red-700"}`}>
      {state.message}
    </p>
  );
}

/** A delete button that asks first: the form posts `id` to `action` only once the person confirms. */
export function ConfirmDeleteForm({ action, id, name }: { action: (formData: FormData) => void; id: string; name: string }) {
  return (
    <ConfirmForm action={action} message={`Delete “${name}”? This cannot be undone.`} confirmLabel="Delete">
      <input type="hidden" name="id" value={id} />
      <SubmitButton variant="danger" pendingText="Deleting…">
        Delete
      </SubmitButton>
    </ConfirmForm>
  );
}
