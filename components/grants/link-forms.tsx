"use client";

import { ShownOnceLink } from "@/components/ui/shown-once-link";
import { useActionState, useState, useTransition } from "react";
import { createLinkAction, revokeLinkAction, type LinkFormState } from "@/app/(dashboard)/projects/[id]/sharing/actions";
import { initialFormState } from "@/lib/actions/form-state";
import { FormMessage, SubmitButton } from "@/components/ui/form";
import { ConfirmForm } from "@/components/ui/confirm-dialog";

/** TEN-7: role, expiry and maximum uses; the link is shown once with a copy button. Input is kept on errors. */
export function CreateLinkForm({ projectId }: { projectId: string }) {
  const [values, setValues] = useState({ role: "viewer", expiresInDays: "7", maxUses: "1" });
  const [state, setState] = useState<LinkFormState>({ ok: null });
  const [link, setLink] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const errors = state.fieldErrors ?? {};

  function submit(formData: FormData) {
    startTransition(async () => {
      const result = await createLinkAction(formData);
      setLink(result.link ?? null);
      setState({ ok: result.ok, message: result.message, fieldErrors: result.fieldErrors });
    });
  }
  const input = "rounded-md border border-slate-300 bg-white px-3 py-2 text-sm aria-[invalid]:border-red-500";

  return (
    <div className="mt-3 flex flex-col gap-4">
      {/* Submitted by hand (not a form action), so React does not reset the fields after an error. */}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit(new FormData(e.currentTarget));
        }}
        className="flex flex-col gap-3 sm:flex-row sm:items-start"
        noValidate
      >
        <input type="hidden" name="projectId" value={projectId} />
        <div className="flex flex-col gap-1">
          <label htmlFor="link-role" className="text-sm font-medium text-slate-800">
            Role
          </label>
          <select id="link-role" name="role" value={values.role} onChange={(e) => setValues({ ...values, role: e.target.value })} className={input}>
            <option value="viewer">viewer</option>
            <option value="editor">editor</option>
          </select>
        </div>
        {(
          [
            ["expiresInDays", "Expires after (days, 1–30)"],
            ["maxUses", "Maximum uses (1–1000)"],
          ] as const
        ).map(([name, label]) => (
          <div key={name} className="flex flex-col gap-1">
            <label htmlFor={`link-${name}`} className="text-sm font-medium text-slate-800">
              {label}
            </label>
            <input
              id={`link-${name}`}
              name={name}
              inputMode="numeric"
              value={values[name]}
              onChange={(e) => setValues({ ...values, [name]: e.target.value })}
              aria-invalid={errors[name] ? true : undefined}
              aria-describedby={errors[name] ? `link-${name}-error` : undefined}
              className={input}
            />
            {errors[name] ? (
              <p id={`link-${name}-error`} className="text-sm text-red-700">
                {errors[name].join(" ")}
              </p>
            ) : null}
          </div>
        ))}
        <button type="submit" disabled={pending} className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-60 sm:mt-6">
          {pending ? "Creating…" : "Create link"}
        </button>
      </form>
      <FormMessage state={state} />
      {link ? (
        <ShownOnceLink key={link} id="project-link" testId="new-project-link" title="Copy the link now" link={link} onDone={() => setLink(null)}>
          <strong>It will not be shown again.</strong> We store only a hash of it.
        </ShownOnceLink>
      ) : null}
    </div>
  );
}

export function RevokeLinkForm({ id, projectId }: { id: string; projectId: string }) {
  const [state, action] = useActionState(revokeLinkAction, initialFormState);
  return (
    <ConfirmForm action={action} className="flex flex-col gap-1 sm:items-end" message={"Revoke this link? It stops working at once."} confirmLabel="Revoke">
      <input type="hidden" name="id" value={id} />
      <input type="hidden" name="projectId" value={projectId} />
      <SubmitButton variant="danger" pendingText="Revoking…">
        Revoke
      </SubmitButton>
      <FormMessage state={state} />
    </ConfirmForm>
  );
}
