"use client";

import Link from "next/link";
import { useActionState, useState } from "react";
import { deleteProjectAction, renameProjectAction } from "@/app/(dashboard)/projects/actions";
import { initialFormState } from "@/lib/actions/form-state";
import { ConfirmDeleteForm, Field, FormMessage, SubmitButton } from "@/components/ui/form";
import { formatDate } from "@/lib/format/date";

export function ProjectRow({ project, canDelete }: { project: { id: string; name: string; createdAt: string }; canDelete: boolean }) {
  const [editing, setEditing] = useState(false);
  const [renameState, rename] = useActionState(async (prev: typeof initialFormState, data: FormData) => {
    const next = await renameProjectAction(prev, data);
    if (next.ok) setEditing(false);
    return next;
  }, initialFormState);
  const [deleteState, remove] = useActionState(deleteProjectAction, initialFormState);

  return (
    <li className="flex flex-col gap-2 py-3" data-testid="project-row">
      {editing ? (
        <form action={rename} className="flex flex-col gap-2 sm:flex-row sm:items-end" noValidate>
          <input type="hidden" name="id" value={project.id} />
          <div className="flex-1">
            <Field
              key={renameState.values?.attempt ?? "current"}
              id={`rename-${project.id}`}
              name="name"
              label={`New name for ${project.name}`}
              defaultValue={renameState.ok === false ? renameState.values?.name : project.name}
              maxLength={100}
              state={renameState}
            />
          </div>
          <SubmitButton pendingText="Saving…">Save</SubmitButton>
          <button type="button" onClick={() => setEditing(false)} className="rounded-md px-3 py-2 text-sm ring-1 ring-slate-300">
            Cancel
          </button>
        </form>
      ) : (
        <div className="flex flex-wrap items-center gap-3">
          <Link href={`/projects/${project.id}`} className="min-w-0 flex-1 break-words font-medium text-indigo-700 hover:underline">
            {project.name}
          </Link>
          <span className="text-xs text-slate-500">{formatDate(project.createdAt)}</span>
          <button type="button" onClick={() => setEditing(true)} className="rounded-md px-3 py-2 text-sm ring-1 ring-slate-300 hover:bg-slate-100">
            Rename
          </button>
          {canDelete ? (
            <ConfirmDeleteForm action={remove} id={project.id} name={project.name} />
          ) : null}
        </div>
      )}
      <FormMessage state={renameState.ok ? initialFormState : renameState} />
      <FormMessage state={deleteState.ok ? initialFormState : deleteState} />
    </li>
  );
}
