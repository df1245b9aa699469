"use client";

import { ShownOnceLink } from "@/components/ui/shown-once-link";
import { useState, useTransition } from "react";
import { inviteMemberAction, type InviteFormState } from "@/app/(dashboard)/settings/members/actions";
import { FormMessage } from "@/components/ui/form";

/** TEN-3: email + role; the link (embedded provider) is shown once with a copy button. Input is kept on errors. */
export function InviteMemberForm({ roles }: { roles: string[] }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState("member");
  const [state, setState] = useState<InviteFormState>({ ok: null });
  const [link, setLink] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const emailErrors = state.fieldErrors?.email;
  const roleErrors = state.fieldErrors?.role;

  function submit(formData: FormData) {
    startTransition(async () => {
      const result = await inviteMemberAction(formData);
      setLink(result.link ?? null);
      setState({ ok: result.ok, message: result.message, fieldErrors: result.fieldErrors });
      if (result.ok) setEmail("");
    });
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
        <ShownOnceLink key={link} id="invite-link" testId="new-invite-link" title="Copy the invite link now" link={link} onDone={() => setLink(null)}>
          <strong>It will not be shown again.</strong> Send it to the invited person; it works once. We store only a hash of it.
        </ShownOnceLink>
      ) : null}
    </div>
  );
}
