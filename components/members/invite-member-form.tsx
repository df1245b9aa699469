"use client";

import { useState, useTransition } from "react";
import { inviteMemberAction, type InviteFormState } from "@/app/(dashboard)/settings/members/actions";
import { FormMessage } from "@/components/ui/form";

/** TEN-3: email + role; the link (embedded provider) is shown once with a copy button. Input is kept on errors. */
export function InviteMemberForm({ roles }: { roles: string[] }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState("member");
  const [state, setState] = useState<InviteFormState>({ ok: null });
  const [link, setLink] = useState<string | null>(null);
  const [copied, setCopied] = useState<"idle" | "copied" | "failed">("idle");
  const [pending, startTransition] = useTransition();
  const emailErrors = state.fieldErrors?.email;
  const roleErrors = state.fieldErrors?.role;

  function submit(formData: FormData) {
    startTransition(async () => {
      const result = await inviteMemberAction(formData);
      setLink(result.link ?? null);
      setCopied("idle");
      setState({ ok: result.ok, message: result.message, fieldErrors: result.fieldErrors });
      if (result.ok) setEmail("");
    });
  }
  async function copy() {
    try {
      await navigator.clipboard.writeText(link!);
      setCopied("copied");
    } catch {
      setCopied("failed");
    }
  }

  return (
    <div className="mt-3 flex flex-col gap-4">
      {/* Submitted by hand, not as a form action: React resets a form after its action, and the role select would
          show (and resubmit) its first option, owner, after an error. */}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit(new FormData(e.currentTarget));
        }}
        className="flex flex-col gap-3 sm:flex-row sm:items-start"
        noValidate
      >
        <div className="flex flex-1 flex-col gap-1">
          <label htmlFor="invite-email" className="text-sm font-medium text-slate-800">
            Email
          </label>
          <input
            id="invite-email"
            name="email"
            type="email"
            required
            maxLength={320}
            autoComplete="off"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            aria-invalid={emailErrors ? true : undefined}
            aria-describedby={emailErrors ? "invite-email-error" : undefined}
            className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm aria-[invalid]:border-red-500"
          />
          {emailErrors ? (
            <p id="invite-email-error" className="text-sm text-red-700">
              {emailErrors.join(" ")}
            </p>
          ) : null}
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="invite-role" className="text-sm font-medium text-slate-800">
            Role
          </label>
          <select
            id="invite-role"
            name="role"
            value={role}
            onChange={(e) => setRole(e.target.value)}
            aria-invalid={roleErrors ? true : undefined}
            className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm"
          >
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          {roleErrors ? <p className="text-sm text-red-700">{roleErrors.join(" ")}</p> : null}
        </div>
        <button type="submit" disabled={pending} className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-60 sm:mt-6">
          {pending ? "Inviting…" : "Invite"}
        </button>
      </form>
      <FormMessage state={state} />
      {link ? (
        <div role="region" aria-labelledby="invite-link-title" className="flex flex-col gap-2 rounded-lg border-2 border-amber-400 bg-amber-50 p-4" data-testid="new-invite-link">
          <h3 id="invite-link-title" className="font-semibold text-amber-950">
            Copy the invite link now
          </h3>
          <p className="text-sm text-amber-900">
            <strong>It will not be shown again.</strong> Send it to the invited person; it works once. We store only a hash of it.
          </p>
          <div className="flex flex-col gap-2 sm:flex-row sm:items-center">
            <label htmlFor="invite-link" className="sr-only">
              Invite link
            </label>
            <input id="invite-link" readOnly value={link} onFocus={(e) => e.currentTarget.select()} spellCheck={false} className="min-w-0 flex-1 rounded-md border border-amber-300 bg-white px-3 py-2 font-mono text-xs" />
            <button type="button" onClick={copy} className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-700">
              Copy
            </button>
            <button type="button" onClick={() => setLink(null)} className="rounded-md px-3 py-2 text-sm ring-1 ring-amber-400 hover:bg-amber-100">
              Done
            </button>
          </div>
          <p role="status" className="text-sm text-amber-900">
            {copied === "copied" ? "Copied to the clipboard." : copied === "failed" ? "Could not copy; select the link and copy it by hand." : ""}
          </p>
        </div>
      ) : null}
    </div>
  );
}
