import type { Metadata } from "next";
import type { Queryable } from "@/lib/db";
import { definePage } from "@/lib/pages/define-page";
import { listProjects } from "@/lib/projects";
import { listApiKeys, listNotifications, listRecentVerifications, type ApiKeyListItem, type ApiKeyStatus, type Notification } from "@/lib/api-keys";
import { CreateApiKeyForm } from "@/components/api-keys/create-api-key-form";
import { ApiKeyActions } from "@/components/api-keys/api-key-actions";
import { VerificationLog } from "@/components/api-keys/verification-log";
import { NotificationsList } from "@/components/api-keys/notifications-list";
import { formatDateTime } from "@/lib/format/date";

export const metadata: Metadata = { title: "API keys" };

const DAY_MS = 86_400_000;
const utc = (d: Date | string | null) => formatDateTime(d);

const STATUS_STYLE: Record<ApiKeyStatus, string> = {
  active: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  rolling: "bg-amber-50 text-amber-900 ring-amber-200",
  expired: "bg-slate-100 text-slate-700 ring-slate-300",
  revoked: "bg-red-50 text-red-800 ring-red-200",
};

/** The date input's range: tomorrow to a year ahead (the schema checks the same rule on submit). */
function expiryDateBounds(): { min: string; max: string } {
  const now = Date.now();
  const isoDate = (t: number) => new Date(t).toISOString().slice(0, 10);
  return { min: isoDate(now + DAY_MS), max: isoDate(now + 365 * DAY_MS) };
}

function notificationText(n: Notification): string {
  const body = n.body as { name?: string; prefix?: string };
  if (n.kind === "api_key.created") return `API key “${body.name ?? "?"}” (${body.prefix ?? "?"}…) was created.`;
  return n.kind;
}

function KeyDetails({ k }: { k: ApiKeyListItem }) {
  return (
    <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm sm:grid-cols-[max-content_1fr_max-content_1fr]">
      <dt className="text-slate-500">Prefix</dt>
      <dd>
        <code>{k.prefix}…</code>
      </dd>
      <dt className="text-slate-500">Scope</dt>
      <dd>{k.project_id ? `Project: ${k.project_name ?? k.project_id}` : "Whole organisation"}</dd>
      <dt className="text-slate-500">Permissions</dt>
      <dd>{k.permissions.includes("write") ? "Read and write" : "Read only"}</dd>
      <dt className="text-slate-500">Created by</dt>
      <dd className="min-w-0 break-words">{k.creator ?? "A former member"}</dd>
      <dt className="text-slate-500">Created</dt>
      <dd>{utc(k.created_at)}</dd>
      <dt className="text-slate-500">Last used</dt>
      <dd>{k.last_used_at ? utc(k.last_used_at) : "Never"}</dd>
      <dt className="text-slate-500">Expires</dt>
      <dd>{k.expires_at ? utc(k.expires_at) : "Never"}</dd>
      <dt className="text-slate-500">IP allow-list</dt>
      <dd className="font-mono text-xs">{k.ip_allowlist?.length ? k.ip_allowlist.join(", ") : "Any address"}</dd>
      {k.status === "rolling" ? (
        <>
          <dt className="text-slate-500">Old secret until</dt>
          <dd>{utc(k.previous_expires_at)}</dd>
        </>
      ) : null}
      {k.revoked_at ? (
        <>
          <dt className="text-slate-500">Revoked</dt>
          <dd>{utc(k.revoked_at)}</dd>
        </>
      ) : null}
    </dl>
  );
}

async function readKeysPage(tx: Queryable) {
  return {
    keys: await listApiKeys(tx),
    verifications: await listRecentVerifications(tx, 20),
    notifications: await listNotifications(tx, 50),
    projects: await listProjects(tx),
  };
}

/**
 * KEY-1..4: owners and admins manage the org's partner API keys. Everyone else: this page does not exist
 * (TEN-3: checked by the page pipeline, by the actions' pipelines, and by RLS on every row).
 */
export default definePage({ name: "api_keys.list", title: "API keys", minimumRole: "admin", read: ({ tx }) => readKeysPage(tx) }, function ApiKeysPage({ data }) {
  const { keys, verifications, notifications, projects } = data;
  const bounds = expiryDateBounds();

  return (
    <div className="flex flex-col gap-6">
      <div>
        <h1 className="text-2xl font-semibold">API keys</h1>
        <p className="text-sm text-slate-600">
          Keys authenticate the partner API with <code>Authorization: Bearer &lt;key&gt;</code>. A key is shown once, when it is created or rolled; we keep only
          its hash.
        </p>
      </div>

      <section aria-labelledby="create-key" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
        <h2 id="create-key" className="mb-3 text-lg font-medium">
          Create a key
        </h2>
        <CreateApiKeyForm projects={projects.map((p) => ({ id: p.id, name: p.name }))} minDate={bounds.min} maxDate={bounds.max} />
      </section>

      <section aria-labelledby="key-list" className="flex flex-col gap-3">
        <h2 id="key-list" className="text-lg font-medium">
          Keys
        </h2>
        {keys.length === 0 ? (
          <p className="rounded-lg border border-slate-200 bg-white p-4 text-slate-600">No API keys yet.</p>
        ) : (
          <ul className="flex flex-col gap-3">
            {keys.map((k) => (
              <li key={k.id} className="flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="api-key-row">
                <div className="flex items-center gap-3">
                  <h3 className="min-w-0 flex-1 break-words font-medium">{k.name}</h3>
                  <span className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ${STATUS_STYLE[k.status]}`}>{k.status}</span>
                </div>
                <KeyDetails k={k} />
                <ApiKeyActions apiKey={{ id: k.id, name: k.name, revoked: k.status === "revoked", expired: k.status === "expired" }} />
                <details>
                  <summary className="cursor-pointer text-sm text-indigo-700">Recent verifications</summary>
                  <div className="mt-2 space-y-1">
                    <p className="text-xs text-slate-500">
                      Newest first. Attempts appear within a few seconds; identical attempts in a row are one line, counted under
                      &ldquo;Times&rdquo;. &ldquo;Last used&rdquo; is updated at most once a minute.
                    </p>
                    <VerificationLog
                      keyName={k.name}
                      entries={verifications.filter((v) => v.key_id === k.id).map((v) => ({ at: utc(v.at), outcome: v.outcome, reason: v.reason, ip: v.ip, repeats: v.repeats }))}
                    />
                  </div>
                </details>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="notifications" className="rounded-lg border border-slate-200 bg-white px-4 pt-3 shadow-sm">
        <h2 id="notifications" className="text-lg font-medium">
          Notifications
        </h2>
        <NotificationsList items={notifications.map((n) => ({ id: n.id, at: utc(n.created_at), text: notificationText(n), unread: !n.read_at }))} />
      </section>
    </div>
  );
});
