"use client";

import { useState } from "react";
import { useRouter } from "next/navigation";
import { startAuthentication, startRegistration } from "@simplewebauthn/browser";
import { passkeyRegistrationOptionsAction, registerPasskeyAction } from "@/app/(dashboard)/account/security/passkey-actions";
import { passkeySignInAction, passkeySignInOptionsAction } from "@/app/(auth)/passkey-actions";

const buttonClass = "rounded-md bg-white px-3 py-2 text-sm font-medium text-slate-800 ring-1 ring-slate-300 hover:bg-slate-100 disabled:opacity-60";

/** IDN-2: adds a passkey for the signed-in user (WebAuthn registration in the browser). */
export function AddPasskeyButton() {
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  async function add() {
    setBusy(true);
    try {
      const optionsJSON = await passkeyRegistrationOptionsAction();
      if (!optionsJSON) return setMessage({ ok: false, text: "Sign in first." });
      const response = await startRegistration({ optionsJSON });
      const result = await registerPasskeyAction(JSON.stringify(response));
      setMessage({ ok: result.ok, text: result.message });
    } catch {
      setMessage({ ok: false, text: "The passkey was not created." });
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="flex flex-col gap-2">
      <button type="button" onClick={add} disabled={busy} className={buttonClass}>
        {busy ? "Waiting for your passkey…" : "Add a passkey"}
      </button>
      {message ? (
        <p role={message.ok ? "status" : "alert"} className={`text-sm ${message.ok ? "text-emerald-700" : "text-red-700"}`}>
          {message.text}
        </p>
      ) : null}
    </div>
  );
}

/** IDN-2: the second sign-in step with a passkey. */
export function PasskeySignInButton({ next }: { next: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function signIn() {
    setBusy(true);
    try {
      const optionsJSON = await passkeySignInOptionsAction();
      if (!optionsJSON) return setError("No passkey is registered for this account.");
      const response = await startAuthentication({ optionsJSON });
      const result = await passkeySignInAction(JSON.stringify(response));
      if (result.ok) router.push(next);
      else setError(result.message ?? "That passkey could not be verified.");
    } catch {
      setError("The passkey was not used.");
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="flex flex-col gap-2">
      <button type="button" onClick={signIn} disabled={busy} className={buttonClass}>
        {busy ? "Waiting for your passkey…" : "Use a passkey"}
      </button>
      {error ? (
        <p role="alert" className="text-sm text-red-700">
          {error}
        </p>
      ) : null}
    </div>
  );
}
