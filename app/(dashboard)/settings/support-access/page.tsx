import type { Metadata } from "next";
import { definePage } from "@/lib/pages/define-page";
import { listSupportGrants, listSupportOperators } from "@/lib/support";
import { GrantSupportForm } from "@/components/support/grant-support-form";
import { RevokeSupportForm } from "@/components/support/support-controls";
import { formatDateTime } from "@/lib/format/date";

export const metadata: Metadata = { title: "Support access" };

const utc = (d: Date | string) => formatDateTime(d);

/** TEN-8: owners grant, see and revoke support access; for everyone else this page does not exist (404). */
export default definePage(
  {
    name: "settings.support_access", title: "Support access",
    minimumRole: "owner",
    async read({ tx }) {
      return { grants: await listSupportGrants(tx), operators: await listSupportOperators(tx) };
    },
  },
  ({ data }) => {
    const active = data.grants.filter((g) => g.live);
    const past = data.grants.filter((g) => !g.live);
    const who = (g: (typeof data.grants)[number]) => g.operator_email ?? g.operator_user_id;
    const level = (l: string) => (l === "write" ? "Read and write" : "Read-only");
    return (
      <div className="flex flex-col gap-8">
        <div>
          <h1 className="text-2xl font-semibold">Support access</h1>
          <p className="mt-1 text-sm text-slate-600">
            Platform operators have no access to your organisation unless an owner grants it here: to one named operator, for a limited time, read-only or read and write. Every action they take is recorded in the audit log under their name, and any owner can revoke access at any time.
          </p>
        </div>

        <section aria-labelledby="grant-heading" className="rounded-lg border border-slate-200 bg-white p-4 sm:p-6">
          <h2 id="grant-heading" className="text-lg font-medium">
            Grant access
          </h2>
          <GrantSupportForm operators={data.operators.map((o) => ({ id: o.user_id, label: o.display_name ? `${o.display_name} (${o.email ?? o.user_id})` : (o.email ?? o.user_id) }))} />
        </section>

        <section aria-labelledby="active-heading">
          <h2 id="active-heading" className="text-lg font-medium">
            Active ({active.length})
          </h2>
          {active.length === 0 ? (
            <p className="mt-2 text-sm text-slate-600">No operator has access now.</p>
          ) : (
            <ul className="mt-3 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
              {active.map((g) => (
                <li key={g.id} className="flex flex-col gap-3 p-4 sm:flex-row sm:items-center sm:justify-between" data-testid="support-grant-active">
                  <div className="min-w-0">
                    <p className="min-w-0 break-words font-medium">{who(g)}</p>
                    <p className="text-sm text-slate-700">
                      {level(g.access_level)} · until {utc(g.expires_at)}
                    </p>
                    <p className="break-words text-xs text-slate-600">Reason: {g.reason}</p>
                  </div>
                  <RevokeSupportForm id={g.id} operator={who(g)} />
                </li>
              ))}
            </ul>
          )}
        </section>

        <section aria-labelledby="past-heading">
          <h2 id="past-heading" className="text-lg font-medium">
            Past ({past.length})
          </h2>
          {past.length === 0 ? (
            <p className="mt-2 text-sm text-slate-600">No past grants.</p>
          ) : (
            <ul className="mt-3 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
              {past.map((g) => (
                <li key={g.id} className="p-4" data-testid="support-grant-past">
                  <p className="min-w-0 break-words font-medium">{who(g)}</p>
                  <p className="text-sm text-slate-700">
                    {level(g.access_level)} · granted {utc(g.created_at)} · {g.revoked_at ? `revoked ${utc(g.revoked_at)}` : `expired ${utc(g.expires_at)}`}
                  </p>
                  <p className="break-words text-xs text-slate-600">Reason: {g.reason}</p>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    );
  },
);
