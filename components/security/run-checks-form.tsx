"use client";

import { useActionState, useEffect } from "react";
import { useRouter } from "next/navigation";
import { runChecksAction } from "@/app/(dashboard)/security/actions";
import { initialFormState } from "@/lib/actions/form-state";
import { FormMessage, SubmitButton } from "@/components/ui/form";

/**
 * "Run now" for one live check (its title, for screen readers, follows the visible label), or "Run all" (check =
 * "all"); the page reloads its table once the run is stored.
 */
export function RunChecksForm({ check, label, detail }: { check: string; label: string; detail?: string }) {
  const [state, action] = useActionState(runChecksAction, initialFormState);
  const router = useRouter();
  useEffect(() => {
    if (state.ok) router.refresh();
  }, [state, router]);
  return (
    <form action={action} className="flex flex-col items-start gap-1">
      <input type="hidden" name="check" value={check} />
      <SubmitButton variant={check === "all" ? "primary" : "secondary"} pendingText="Running…">
        {label}
        {detail ? <span className="sr-only">: {detail}</span> : null}
      </SubmitButton>
      <FormMessage state={state} />
    </form>
  );
}
