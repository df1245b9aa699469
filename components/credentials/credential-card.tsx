"use client";

import { useActionState } from "react";
import { initialFormState, type FormState } from "@/lib/actions/form-state";
import { Field, FormMessage, SubmitButton } from "@/components/ui/form";
import { ConfirmForm } from "@/components/ui/confirm-dialog";

type Action = (prev: FormState, formData: FormData) => Promise<FormState>;

export interface CredentialView {
  service: string;
  label: string;
  what: string;
  /** Set: last 4 characters, who set it (org credentials), when. Never the secret. */
  stored: { last4: string; setBy: string | null; setAt: string; lastTest: string | null } | null;
}

/**
 * ENC-1 / ENC-5: one service's write-only credential. The secret input is a password field, never pre-filled: the
 * browser only ever receives the last 4 characters and who set it when.
 */
export function CredentialCard({ view, save, remove, test }: { view: CredentialView; save: Action; remove: Action; test?: Action }) {
  const [saved, saveAction] = useActionState(save, initialFormState);
  const [removed, removeAction] = useActionState(remove, initialFormState);
  const [tested, testAction] = useActionState(test ?? (async () => initialFormState), initialFormState);
  const id = `cred-${view.service}`;
  return (
    <section aria-labelledby={`${id}-title`} className="flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <h2 id={`${id}-title`} className="text-lg font-medium">
        {view.label}
      </h2>
      <p className="text-sm text-slate-700" data-testid={`${id}-status`}>
        {view.stored ? (
          <>
            Stored: <code>••••{view.stored.last4}</code>
            {view.stored.setBy ? <>, set by {view.stored.setBy}</> : null} on {view.stored.setAt}.{view.stored.lastTest ? <> {view.stored.lastTest}</> : null}
          </>
        ) : (
          `No ${view.what} stored.`
        )}
      </p>
      <form action={saveAction} className="flex flex-col gap-2">
        <input type="hidden" name="service" value={view.service} />
        <Field
          id={`${id}-secret`}
          name="secret"
          label={view.stored ? `Replace the ${view.what}` : `${view.what[0]!.toUpperCase()}${view.what.slice(1)}`}
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          state={saved}
        />
        <div className="flex flex-wrap items-center gap-2">
          <SubmitButton pendingText="Saving…">{view.stored ? "Replace" : "Save"}</SubmitButton>
          <FormMessage state={saved} />
        </div>
      </form>
      {view.stored ? (
        <div className="flex flex-wrap items-center gap-2">
          {test ? (
            <form action={testAction} className="flex items-center gap-2">
              <input type="hidden" name="service" value={view.service} />
              <SubmitButton variant="secondary" pendingText="Testing…">
                Test
              </SubmitButton>
              <FormMessage state={tested} />
            </form>
          ) : null}
          <ConfirmForm action={removeAction} className="flex items-center gap-2" message={`Delete the stored ${view.label} ${view.what}?`} confirmLabel="Delete">
            <input type="hidden" name="service" value={view.service} />
            <SubmitButton variant="danger" pendingText="Deleting…">
              Delete
            </SubmitButton>
            <FormMessage state={removed} />
          </ConfirmForm>
        </div>
      ) : null}
    </section>
  );
}
