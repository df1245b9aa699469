"use client";

import { createContext, useCallback, useContext, useEffect, useRef, useState } from "react";

interface Toast {
  id: number;
  text: string;
}

const ToastContext = createContext<((text: string) => void) | null>(null);

const SHOWN_MS = 8_000;

/**
 * The dashboard's success toasts: one polite live region (role=status) that forms report to through FormMessage.
 * Each toast stays 8 seconds (longer while hovered or focused) and can be dismissed; errors never become toasts,
 * they stay next to the form that caused them.
 */
export function ToastRegion({ children }: { children: React.ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(0);
  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((t) => t.id !== id)), []);
  const show = useCallback((text: string) => {
    const id = ++next.current;
    setToasts((all) => [...all.slice(-2), { id, text }]);
  }, []);

  return (
    <ToastContext.Provider value={show}>
      {children}
      <div role="status" aria-live="polite" data-testid="toasts" className="pointer-events-none fixed inset-x-0 bottom-4 z-50 flex flex-col items-center gap-2 px-4 sm:items-end">
        {toasts.map((t) => (
          <ToastItem key={t.id} toast={t} onDismiss={dismiss} />
        ))}
      </div>
    </ToastContext.Provider>
  );
}

function ToastItem({ toast, onDismiss }: { toast: Toast; onDismiss: (id: number) => void }) {
  const [held, setHeld] = useState(false);
  useEffect(() => {
    if (held) return;
    const timer = setTimeout(() => onDismiss(toast.id), SHOWN_MS);
    return () => clearTimeout(timer);
  }, [held, toast.id, onDismiss]);
  return (
    <div
      className="pointer-events-auto flex max-w-sm items-start gap-3 rounded-md bg-emerald-800 px-4 py-3 text-sm text-white shadow-lg"
      onMouseEnter={() => setHeld(true)}
      onMouseLeave={() => setHeld(false)}
      onFocus={() => setHeld(true)}
      onBlur={() => setHeld(false)}
    >
      <p className="min-w-0 flex-1 break-words">{toast.text}</p>
      <button type="button" onClick={() => onDismiss(toast.id)} className="rounded px-1 text-emerald-100 hover:text-white focus:outline-none focus:ring-2 focus:ring-white" aria-label="Dismiss">
        ×
      </button>
    </div>
  );
}

/** Shows `text` as a toast; null outside the dashboard (no region), where callers show the message inline. */
export function useToast(): ((text: string) => void) | null {
  return useContext(ToastContext);
}
