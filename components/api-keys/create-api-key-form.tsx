"use client";

import { useActionState, useEffect, useRef, useState } from "react";
import { createApiKeyAction } from "@/app/(dashboard)/settings/api-keys/actions";
import { initialApiKeySecretState, type ApiKeySecretFormState } from "@/lib/api-keys/form-state";
import { Field, FormMessage, SubmitButton } from "@/components/ui/form";
import { SecretReveal } from "./secret-reveal";

function Errors({ id, errors }: { id: string; errors: string[] | undefined }) {
  return errors ? (
    <p id={id} className="text-sm text-red-700">
      {errors.join(" ")}
    </p>
  ) : null;
}

// KEY-1: the state (holding the new secret) stays in the browser; only the form's data goes to the server.
const submit = (_previous: ApiKeySecretFormState, formData: FormData) => createApiKeyAction(formData);

/** KEY-1 / KEY-3: name, scope, read or read+write, optional expiry and IP allow-list. */
export function CreateApiKeyForm({ projects, minDate, maxDate }: { projects: { id: string; name: string }[]; minDate: string; maxDate: string }) {
  const [state, action] = useActionState(submit, initialApiKeySecretState);
  // The secret is shown until dismissed; dismissing remembers which result it belonged to.
  const [dismissed, setDismissed] = useState<object | null>(null);
  const shown = state.ok && state.secret && dismissed !== state ? state.secret : undefined;
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (state.ok) form.current?.reset();
  }, [state]);
  const errors = state.fieldErrors ?? {};
  // After a refusal the form is rebuilt with what was submitted (React resets a form once its action ran).
  const values = state.ok ? {} : (state.values ?? {});
  const described = (name: string) => (errors[name] ? { "aria-invalid": true as const, "aria-describedby": `new-key-${name}-error` } : {});

  return (
    <div className="flex flex-col gap-4">
      {shown ? <SecretReveal secret={shown} onDone={() => setDismissed(state)} /> : null}
      <form key={values.attempt ?? "new"} ref={form} action={action} className="grid gap-4 sm:grid-cols-2" aria-label="Create API key" noValidate>
        <Field id="new-key-name" name="name" label="Name" maxLength={64} required state={state} placeholder="e.g. Zapier production" defaultValue={values.name} />

        <div className="flex flex-col gap-1">
          <label htmlFor="new-key-projectId" className="text-sm font-medium text-slate-800">
            Scope
          </label>
          <select id="new-key-projectId" name="projectId" defaultValue={values.projectId || "org"} className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm" {...described("projectId")}>
            <option value="org">Whole organisation</option>
            {projects.map((p) => (
              <option key={p.id} value={p.id}>
                Project: {p.name}
              </option>
            ))}
          </select>
          <Errors id="new-key-projectId-error" errors={errors.projectId} />
        </div>

        <fieldset className="flex flex-col gap-1" aria-describedby={errors.permissions ? "new-key-permissions-error" : undefined}>
          <legend className="text-sm font-medium text-slate-800">Permissions</legend>
          <label className="flex items-center gap-2 text-sm">
            <input type="radio" name="permissions" value="read" defaultChecked={values.permissions !== "read_write"} /> Read only
          </label>
          <label className="flex items-center gap-2 text-sm">
            <input type="radio" name="permissions" value="read_write" defaultChecked={values.permissions === "read_write"} /> Read and write
          </label>
          <Errors id="new-key-permissions-error" errors={errors.permissions} />
        </fieldset>

        <div className="flex flex-col gap-1">
          <label htmlFor="new-key-expiresAt" className="text-sm font-medium text-slate-800">
            Expires on (optional, at 00:00 UTC; at most one year)
          </label>
          <input
            id="new-key-expiresAt"
            name="expiresAt"
            type="date"
            defaultValue={values.expiresAt}
            min={minDate}
            max={maxDate}
            className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm"
            {...described("expiresAt")}
          />
          <Errors id="new-key-expiresAt-error" errors={errors.expiresAt} />
        </div>

        <div className="flex flex-col gap-1 sm:col-span-2">
          <label htmlFor="new-key-ipAllowlist" className="text-sm font-medium text-slate-800">
            IP allow-list (optional; one IPv4 or IPv6 address or CIDR network per line)
          </label>
          <textarea
            id="new-key-ipAllowlist"
            name="ipAllowlist"
            rows={3}
            defaultValue={values.ipAllowlist}
            spellCheck={false}
            placeholder={"203.0.113.0/24\n2001:db8::/32"}
            className="rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm"
            {...described("ipAllowlist")}
          />
          <Errors id="new-key-ipAllowlist-error" errors={errors.ipAllowlist} />
        </div>

        <div className="flex items-center gap-3 sm:col-span-2">
          <SubmitButton pendingText="Creating…">Create API key</SubmitButton>
          <FormMessage state={state.ok ? { ok: null } : state} />
        </div>
      </form>
    </div>
  );
}
