import type { Metadata } from "next";
import { env } from "@/lib/env";
import { definePage } from "@/lib/pages/define-page";
import { ownSessions } from "@/lib/auth/embedded/sign-in";
import { describeDevice } from "@/lib/auth/device";
import { revokeOtherSessionsAction, revokeSessionAction } from "./actions";
import { formatDateTime } from "@/lib/format/date";

const utc = (d: Date | string) => formatDateTime(d);
const SECOND_FACTOR: Record<string, string> = { totp: "Authenticator app", recovery_code: "Recovery code", passkey: "Passkey" };

export const metadata: Metadata = { title: "Sessions" };

/** IDN-4: users list and revoke their own sessions (with or without an organisation). */
export default definePage(
  { name: "sessions.list", minimumRole: "signed-in", read: ({ tx }) => (env.identityProvider === "clerk" ? Promise.resolve(null) : ownSessions(tx)) },
  function SessionsPage({ data: sessions, session }) {
    if (!sessions) {
      return <p className="text-slate-700">Manage your sessions from your Clerk account menu (top right).</p>;
    }
    return (
      <div className="flex flex-col gap-4">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h1 className="text-2xl font-semibold">Your sessions</h1>
          <form action={revokeOtherSessionsAction}>
            <button type="submit" className="rounded-md bg-white px-3 py-2 text-sm font-medium text-red-700 ring-1 ring-red-300 hover:bg-red-50">
              Sign out all other sessions
            </button>
          </form>
        </div>
        {/* relative: the header's sr-only label is positioned inside the scroll box, not against the page. */}
        <div className="relative overflow-x-auto" tabIndex={0} role="region" aria-label="Sessions table">
        <table className="w-full rounded-lg bg-white text-left text-sm shadow-sm">
          <thead className="border-b border-slate-200 text-slate-500">
            <tr>
              <th className="p-3 font-medium">Started</th>
              <th className="p-3 font-medium">Device</th>
              <th className="p-3 font-medium">IP</th>
              <th className="p-3 font-medium">Last seen</th>
              <th className="p-3 font-medium">Second factor</th>
              <th className="p-3 font-medium">Status</th>
              <th className="p-3">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => {
              const current = s.id === session.sessionId;
              const status = s.revoked_at ? "Revoked" : new Date(s.expires_at) < new Date() ? "Expired" : current ? "This session" : "Active";
              return (
                <tr key={s.id} className="border-b border-slate-100 last:border-0">
                  <td className="p-3">{utc(s.created_at)}</td>
                  <td className="p-3">{describeDevice(s.user_agent)}</td>
                  <td className="p-3">{s.ip ?? "—"}</td>
                  <td className="p-3">{s.last_seen_at ? utc(s.last_seen_at) : utc(s.created_at)}</td>
                  <td className="p-3">{s.second_factor_method ? SECOND_FACTOR[s.second_factor_method] : "None"}</td>
                  <td className="p-3">{status}</td>
                  <td className="p-3 text-right">
                    {status === "Active" || current ? (
                      <form action={revokeSessionAction}>
                        <input type="hidden" name="sessionId" value={s.id} />
                        <button type="submit" className="rounded-md px-3 py-1 text-red-700 ring-1 ring-red-300 hover:bg-red-50">
                          {current ? "Sign out" : "Revoke"}
                        </button>
                      </form>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        </div>
      </div>
    );
  },
);
