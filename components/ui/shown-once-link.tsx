"use client";

import { useState, type ReactNode } from "react";

/**
 * A link that carries its own credential (an invite token), shown once right after it was created: a read-only
 * field, Copy, and Done. The server keeps only a hash, so closing this panel is the last chance to copy it.
 * Render it with `key={link}` so the copy status starts over for each new link.
 */
export function ShownOnceLink({ id, testId, title, children, link, onDone }: { id: string; testId: string; title: string; children: ReactNode; link: string; onDone: () => void }) {
  const [copied, setCopied] = useState<"idle" | "copied" | "failed">("idle");
  async function copy() {
    try {
      await navigator.clipboard.writeText(link);
      setCopied("copied");
    } catch {
      setCopied("failed");
    }
  }
  return (
    <div role="region" aria-labelledby={`${id}-title`} className="flex flex-col gap-2 rounded-lg border-2 border-amber-400 bg-amber-50 p-4" data-testid={testId}>
      <h3 id={`${id}-title`} className="font-semibold text-amber-950">
        {title}
      </h3>
      <p className="text-sm text-amber-900">{children}</p>
      <div className="flex flex-col gap-2 sm:flex-row sm:items-center">
        <label htmlFor={id} className="sr-only">
          Invite link
        </label>
        <input id={id} readOnly value={link} onFocus={(e) => e.currentTarget.select()} spellCheck={false} className="min-w-0 flex-1 rounded-md border border-amber-300 bg-white px-3 py-2 font-mono text-xs" />
        <button type="button" onClick={copy} className="rounded-md bg-indigo-700 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-800">
          Copy
        </button>
        <button type="button" onClick={onDone} className="rounded-md px-3 py-2 text-sm ring-1 ring-amber-400 hover:bg-amber-100">
          Done
        </button>
      </div>
      <p role="status" className="text-sm text-amber-900">
        {copied === "copied" ? "Copied to the clipboard." : copied === "failed" ? "Could not copy; select the link and copy it by hand." : ""}
      </p>
    </div>
  );
}
