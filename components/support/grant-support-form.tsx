"use client";

import { useState, useTransition } from "react";
import { grantSupportAction } from "@/app/(dashboard)/settings/support-access/actions";
import type { FormState } from "@/lib/actions/form-state";
import { FormMessage } from "@/components/ui/form";

const DURATIONS = [
  { minutes: 15, label: "15 minutes" },
  { minutes: 30, label: "30 minutes" },
  { minutes: 60, label: "1 hour" },
  { minutes: 120, label: "2 hours" },
  { minutes: 240, label: "4 hours" },
  { minutes: 480, label: "8 hours" },
];

const inputClass = "rounded-md border border-slate-300 bg-white px-3 py-2 text-sm aria-[invalid]:border-red-500";

function Errors({ id, errors }: { id: string; errors?: string[] }) {
  return errors ? (
    <p id={id} className="text-sm text-red-700">
      {errors.join(" ")}
    </p>
  ) : null;
}

/** TEN-8: an owner names an operator, a duration, a level and a reason. Input is kept when the server refuses it. */
export function GrantSupportForm({ operators }: { operators: { id: string; label: string }[] }) {
  const [values, setValues] = useState({ operatorId: operators[0]?.id ?? "", minutes: "60", level: "read", reason: "" });
  const [state, setState] = useState<FormState>({ ok: null });
  const [pending, startTransition] = useTransition();
  const set = (name: keyof typeof values) => (e: { target: { value: string } }) => setValues((v) => ({ ...v, [name]: e.target.value }));
  const err = state.fieldErrors ?? {};
  const described = (name: string) => (err[name] ? { "aria-invalid": true as const, "aria-describedby": `support-${name}-error` } : {});

  if (operators.length === 0) {
    return <p className="mt-2 text-sm text-slate-600">This deployment lists no platform operators, so there is nobody to grant access to.</p>;
  }
  return (
    <form
      className="mt-3 flex flex-col gap-4"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const formData = new FormData(e.currentTarget);
        startTransition(async () => {
          const result = await grantSupportAction({ ok: null }, formData);
          setState(result);
          if (result.ok) setValues((v) => ({ ...v, reason: "" }));
        });
      }}
    >
      <div className="grid gap-4 sm:grid-cols-3">
        <div className="flex flex-col gap-1">
          <label htmlFor="support-operatorId" className="text-sm font-medium text-slate-800">
            Operator
          </label>
          <select id="support-operatorId" name="operatorId" value={values.operatorId} onChange={set("operatorId")} className={inputClass} {...described("operatorId")}>
            {operators.map((o) => (
              <option key={o.id} value={o.id}>
                {o.label}
              </option>
            ))}
          </select>
          <Errors id="support-operatorId-error" errors={err.operatorId} />
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="support-minutes" className="text-sm font-medium text-slate-800">
            Duration
          </label>
          <select id="support-minutes" name="minutes" value={values.minutes} onChange={set("minutes")} className={inputClass} {...described("minutes")}>
            {DURATIONS.map((d) => (
              <option key={d.minutes} value={String(d.minutes)}>
                {d.label}
              </option>
            ))}
          </select>
          <Errors id="support-minutes-error" errors={err.minutes} />
        </div>
        <fieldset className="flex flex-col gap-1">
          <legend className="text-sm font-medium text-slate-800">Access</legend>
          {[
            { value: "read", label: "Read-only" },
            { value: "write", label: "Read and write" },
          ].map((l) => (
            <label key={l.value} className="flex items-center gap-2 text-sm">
              <input type="radio" name="level" value={l.value} checked={values.level === l.value} onChange={set("level")} />
              {l.label}
            </label>
          ))}
          <Errors id="support-level-error" errors={err.level} />
        </fieldset>
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor="support-reason" className="text-sm font-medium text-slate-800">
          Reason
        </label>
        <textarea id="support-reason" name="reason" rows={2} maxLength={500} required value={values.reason} onChange={set("reason")} className={inputClass} {...described("reason")} />
        <Errors id="support-reason-error" errors={err.reason} />
      </div>
      <div className="flex flex-col gap-2 sm:flex-row sm:items-center">
        <button type="submit" disabled={pending} className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-60">
          {pending ? "Granting…" : "Grant support access"}
        </button>
        <FormMessage state={state} />
      </div>
    </form>
  );
}
