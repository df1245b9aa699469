"use client";

import { useId, useRef } from "react";

type FormProps = Omit<React.ComponentProps<"form">, "onSubmit">;

/**
 * A form that asks first, in an accessible modal <dialog> (focus moves into it, Escape cancels, the page behind is
 * inert), instead of the browser's confirm dialog. The form submits, with the button that was pressed, only once the
 * person confirms.
 */
export function ConfirmForm({
  message,
  title = "Are you sure?",
  confirmLabel = "Confirm",
  children,
  ...form
}: FormProps & { message: string; title?: string; confirmLabel?: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const confirmed = useRef(false);
  const submitter = useRef<HTMLElement | null>(null);
  const id = useId();

  return (
    <>
      <form
        ref={formRef}
        {...form}
        onSubmit={(e) => {
          if (confirmed.current) {
            confirmed.current = false;
            return;
          }
          e.preventDefault();
          submitter.current = (e.nativeEvent as SubmitEvent).submitter ?? null;
          dialog.current?.showModal();
        }}
      >
        {children}
      </form>
      <dialog
        ref={dialog}
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-message`}
        data-testid="confirm-dialog"
        className="w-[min(28rem,calc(100vw-2rem))] rounded-lg border border-slate-200 bg-white p-5 text-slate-900 shadow-xl backdrop:bg-slate-900/40"
      >
        <h2 id={`${id}-title`} className="text-lg font-semibold">
          {title}
        </h2>
        <p id={`${id}-message`} className="mt-2 break-words text-sm text-slate-700">
          {message}
        </p>
        <div className="mt-5 flex flex-wrap justify-end gap-3">
          <button type="button" autoFocus onClick={() => dialog.current?.close()} className="rounded-md px-3 py-2 text-sm font-medium ring-1 ring-slate-300 hover:bg-slate-100">
            Cancel
          </button>
          <button
            type="button"
            onClick={() => {
              confirmed.current = true;
              dialog.current?.close();
              const button = submitter.current;
              formRef.current?.requestSubmit(button instanceof HTMLButtonElement || button instanceof HTMLInputElement ? button : undefined);
            }}
            className="rounded-md bg-red-700 px-3 py-2 text-sm font-medium text-white hover:bg-red-800"
          >
            {confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}
