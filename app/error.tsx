"use client";

// VAL-3: no stack traces, SQL or paths reach the browser; the digest lets support find the server log line.
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main className="mx-auto max-w-xl px-6 py-24" role="alert">
      <h1 className="text-2xl font-semibold">Something went wrong</h1>
      <p className="mt-2 text-slate-700">The service may be temporarily unavailable. Nothing was changed. Please try again in a moment.</p>
      {error.digest ? <p className="mt-2 text-sm text-slate-500">Reference: {error.digest}</p> : null}
      <button onClick={reset} className="mt-6 rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700">
        Try again
      </button>
    </main>
  );
}
