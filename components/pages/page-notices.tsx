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
