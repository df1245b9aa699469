"use client";

import { useState } from "react";

/** KEY-1: the new key, shown once, with a copy button and a clear warning. Nothing here stores or logs it. */
export function SecretReveal({ secret, onDone }: { secret: { name: string; prefix: string; plaintext: string }; onDone: () => void }) {
  const [copied, setCopied] = useState<"idle" | "copied" | "failed">("idle");
  const fieldId = `secret-${secret.prefix}`;
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret.plaintext);
      setCopied("copied");
    } catch {
      setCopied("failed");
    }
  }
  return (
    <div role="region" aria-labelledby={`${fieldId}-title`} className="flex flex-col gap-2 rounded-lg border-2 border-amber-400 bg-amber-50 p-4" data-testid="new-api-key">
      <h3 id={`${fieldId}-title`} className="font-semibold text-amber-950">
        Copy the key for “{secret.name}” now
      </h3>
      <p className="text-sm text-amber-900">
        <strong>It will not be shown again.</strong> We store only a hash of it. If you lose it, roll the key or create a new one.
      </p>
      <div className="flex flex-col gap-2 sm:flex-row sm:items-center">
        <label htmlFor={fieldId} className="sr-only">
          New API key
        </label>
        <input
          id={fieldId}
          readOnly
          value={secret.plaintext}
          onFocus={(e) => e.currentTarget.select()}
          autoComplete="off"
          spellCheck={false}
          className="flex-1 rounded-md border border-amber-300 bg-white px-3 py-2 font-mono text-sm"
        />
        <button type="button" onClick={copy} className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-700">
          Copy
        </button>
        <button type="button" onClick={onDone} className="rounded-md px-3 py-2 text-sm ring-1 ring-amber-400 hover:bg-amber-100">
          I have copied it
        </button>
      </div>
      <p role="status" className="text-sm text-amber-900">
        {copied === "copied" ? "Copied to the clipboard." : copied === "failed" ? "Could not copy; select the key and copy it by hand." : ""}
      </p>
    </div>
  );
}
