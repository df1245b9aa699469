import Link from "next/link";

/** The standard answers a dashboard page gives instead of its content (lib/pages). */

export function ServiceUnavailable() {
  return (
    <div role="alert" className="rounded-lg border border-amber-300 bg-amber-50 p-4" data-testid="service-unavailable">
      <h1 className="text-lg font-semibold text-amber-950">Temporarily unavailable</h1>
      <p className="mt-1 text-sm text-amber-900">We cannot reach our database right now. Nothing was changed. Please reload this page in a moment.</p>
    </div>
  );
}

export function NoOrganisation() {
  return <p className="text-slate-700">You are not a member of any organisation yet. Ask an admin to invite you.</p>;
}

/**
 * TEN-3: what a member sees on an admin page instead of a bare 404: which page, who may use it, whom to ask.
 * Nothing of the page itself is read or shown.
 */
export function AdminsOnly({ title, minimumRole, ask }: { title: string | null; minimumRole: "admin" | "owner"; ask: string[] }) {
  const who = minimumRole === "owner" ? "organisation owners" : "organisation admins and owners";
  return (
    <section aria-labelledby="admins-only-title" className="max-w-xl rounded-lg border border-slate-200 bg-white p-6 shadow-sm" data-testid="admins-only">
      <h1 id="admins-only-title" className="text-xl font-semibold">
        {minimumRole === "owner" ? "Owners only" : "Admins only"}
      </h1>
      <p className="mt-2 text-slate-700">
        {title ? <strong className="break-words">{title}</strong> : "This page"} is for {who}. Your role in this organisation does not include it.
      </p>
      {ask.length > 0 ? (
        <p className="mt-2 break-words text-slate-700">
          If you need something done here, ask {ask.length === 1 ? ask[0] : `${ask.slice(0, -1).join(", ")} or ${ask[ask.length - 1]}`}.
        </p>
      ) : (
        <p className="mt-2 text-slate-700">If you need something done here, ask one of them.</p>
      )}
      <Link href="/overview" className="mt-4 inline-block text-indigo-700 underline">
        Back to the overview
      </Link>
    </section>
  );
}
