import type { Metadata } from "next";
import { env } from "@/lib/env";
import { definePage } from "@/lib/pages/define-page";
import { listMyConsents } from "@/lib/support";
import { StartSupportForm } from "@/components/support/support-controls";
import { formatDateTime } from "@/lib/format/date";

export const metadata: Metadata = { title: "Support sessions" };

const utc = (d: Date | string) => formatDateTime(d);

/** TEN-8, the operator's side: the live consents naming the signed-in operator, each with a button to enter. */
export default definePage(
  { name: "support.consents", minimumRole: "signed-in", read: async ({ tx, session }) => (session.actor ? [] : listMyConsents(tx)) },
  ({ data: consents, session }) => (
    <div className="flex flex-col gap-6">
      <div>
        <h1 className="text-2xl font-semibold">Support sessions</h1>
        <p className="mt-1 text-sm text-slate-600">
          Organisations whose owners granted you support access. Being a platform operator gives no access by itself; a session lasts at most until its consent ends.
        </p>
      </div>
      {session.actor ? (
        <p className="text-sm text-slate-700">A support session is active: end it with the button in the banner first.</p>
      ) : env.identityProvider === "clerk" ? (
        <p className="text-sm text-slate-700">With Clerk, support sessions start from Clerk&apos;s impersonation (actor tokens); the consents below still decide whether they are accepted.</p>
      ) : null}
      {consents.length === 0 ? (
        <p className="text-sm text-slate-600">No organisation has granted you access.</p>
      ) : (
        <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
          {consents.map((c) => (
            <li key={c.id} className="flex flex-col gap-3 p-4 sm:flex-row sm:items-center sm:justify-between" data-testid="support-consent">
              <div className="min-w-0">
                <p className="min-w-0 break-words font-medium">{c.org_name}</p>
                <p className="text-sm text-slate-700">
                  {c.access_level === "write" ? "Read and write" : "Read-only"} · until {utc(c.expires_at)}
                </p>
                <p className="break-words text-xs text-slate-600">Reason: {c.reason}</p>
              </div>
              {env.identityProvider === "embedded" ? <StartSupportForm orgId={c.org_id} orgName={c.org_name} /> : null}
            </li>
          ))}
        </ul>
      )}
    </div>
  ),
);
