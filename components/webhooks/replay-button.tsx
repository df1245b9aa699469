"use client";

import { useActionState } from "react";
import { replayWebhookAction } from "@/app/(dashboard)/settings/webhooks/actions";
import { initialFormState } from "@/lib/actions/form-state";
import { FormMessage, SubmitButton } from "@/components/ui/form";

/** WH-3: Replay for a failed delivery; the outcome is announced next to the button. */
export function ReplayButton({ id, label }: { id: string; label: string }) {
  const [state, replay] = useActionState(replayWebhookAction, initialFormState);
  return (
    <form action={replay} className="flex flex-wrap items-center gap-2" aria-label={`Replay ${label}`}>
      <input type="hidden" name="id" value={id} />
      <SubmitButton variant="secondary" pendingText="Replaying…">
        Replay
      </SubmitButton>
      <FormMessage state={state} />
    </form>
  );
}
