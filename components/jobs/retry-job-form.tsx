"use client";

import { useActionState, useEffect } from "react";
import { useRouter } from "next/navigation";
import { retryJobAction } from "@/app/(dashboard)/settings/jobs/actions";
import { initialFormState } from "@/lib/actions/form-state";
import { FormMessage, SubmitButton } from "@/components/ui/form";

/** The dead-letter view's Retry button: re-queues one dead job, then the page reloads its lists. */
export function RetryJobForm({ id, kind }: { id: string; kind: string }) {
  const [state, action] = useActionState(retryJobAction, initialFormState);
  const router = useRouter();
  useEffect(() => {
    if (state.ok) router.refresh();
  }, [state, router]);
  return (
    <form action={action} className="flex flex-col items-start gap-1" aria-label={`Retry ${kind} job`}>
      <input type="hidden" name="id" value={id} />
      <SubmitButton variant="secondary" pendingText="Re-queueing…">
        Retry
      </SubmitButton>
      <FormMessage state={state} />
    </form>
  );
}
