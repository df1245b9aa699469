import Link from "next/link";

/** TEN-4: the same words whether the page does not exist or the caller may not know it does. */
export function NotFoundNotice() {
  return (
    <section aria-labelledby="not-found-title" className="max-w-xl py-10" data-testid="not-found">
      <h1 id="not-found-title" className="text-2xl font-semibold">
        Not found
      </h1>
      <p className="mt-2 text-slate-700">This page does not exist, or you do not have access to it.</p>
      <Link href="/" className="mt-6 inline-block text-indigo-700 underline">
        Go home
      </Link>
    </section>
  );
}
