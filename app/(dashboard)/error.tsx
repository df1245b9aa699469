"use client";

// VAL-3: inside the dashboard's frame (the sidebar stays), no stack traces, SQL or paths; the digest lets support
// find the server log line.
export default function DashboardError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <section role="alert" aria-labelledby="error-title" className="max-w-xl rounded-lg border border-red-200 bg-white p-6 shadow-sm" data-testid="page-error">
      <h1 id="error-title" className="text-xl font-semibold">
        This page could not be shown
      </h1>
      <p className="mt-2 text-slate-700">Something went wrong while reading it. Nothing was changed. Try again in a moment.</p>
      {error.digest ? <p className="mt-2 text-sm text-slate-600">Reference: {error.digest}</p> : null}
      <button onClick={reset} className="mt-4 rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700">
        Try again
      </button>
    </section>
  );
}
