"use client";

import { useActionState, useEffect } from "react";
import { useRouter } from "next/navigation";
import { importDocumentAction, type ImportFormState } from "@/app/(dashboard)/projects/[id]/document-actions";
import { Field, FormMessage, SubmitButton } from "@/components/ui/form";

const initial: ImportFormState = { ok: null };

/**
 * SSRF-1: import a file from a URL; the server fetches it (public addresses only) and scans it like an upload.
 * A refusal is shown under the field with its reason, and the field keeps what was typed.
 */
export function ImportForm({ projectId }: { projectId: string }) {
  const [state, action] = useActionState(importDocumentAction, initial);
  const router = useRouter();
  useEffect(() => {
    if (state.ok) router.refresh();
  }, [state, router]);
  const fieldError = !!state.fieldErrors?.url;
  return (
    <form action={action} className="flex flex-col gap-2" aria-label="URL import" noValidate>
      <input type="hidden" name="projectId" value={projectId} />
      <div className="flex flex-col gap-2 sm:flex-row sm:items-start">
      <div className="min-w-0 flex-1">
        {/* React resets the form after each submission to its defaults: the default is what was typed when it was refused. */}
        <Field
          id="import-url"
          name="url"
          label="Import from a URL"
          type="url"
          inputMode="url"
          autoComplete="off"
          placeholder="https://example.com/report.pdf"
          maxLength={2048}
          required
          defaultValue={state.ok === false ? (state.url ?? "") : ""}
          state={state}
        />
      </div>
      <div className="sm:pt-6">
        <SubmitButton pendingText="Importing…">Import</SubmitButton>
      </div>
      </div>
      {state.ok || !fieldError ? <FormMessage state={state} /> : null}
    </form>
  );
}
