import type { Metadata } from "next";
import Link from "next/link";
import { env } from "@/lib/env";
import { definePage } from "@/lib/pages/define-page";
import { getOrganizationSettings } from "@/lib/orgs";
import { NameForm } from "@/components/settings/name-form";
import { SecondFactorRuleForm } from "@/components/account/security-forms";
import { renameOrganizationAction } from "./actions";

export const metadata: Metadata = { title: "Organisation settings" };

/**
 * TEN-3: the organisation's own settings for owners and admins: its name, its two-step verification rule (IDN-5;
 * owners change it, with their own fresh second factor) and its feature flags. Members are told it is for admins.
 */
export default definePage(
  { name: "settings.organization", title: "Organisation settings", minimumRole: "admin", read: ({ tx }) => getOrganizationSettings(tx) },
  function SettingsPage({ data: org, session }) {
    const owner = session.orgRole === "owner";
    if (!org) return <p className="text-slate-700">This organisation could not be read. Reload the page in a moment.</p>;
    return (
      <div className="flex flex-col gap-6">
        <div>
          <h1 className="text-2xl font-semibold">Organisation settings</h1>
          <p className="text-sm text-slate-600">Settings that apply to everyone in this organisation.</p>
        </div>

        <section aria-labelledby="org-name" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
          <h2 id="org-name" className="mb-3 text-lg font-medium">
            Name
          </h2>
          {env.identityProvider === "embedded" ? (
            <NameForm action={renameOrganizationAction} id="org-name-input" name="name" label="Organisation name" current={org.name} formLabel="Rename organisation" />
          ) : (
            <p className="break-words text-sm text-slate-700">
              <strong>{org.name}</strong>. The name is kept by the identity provider: rename the organisation in the organisation switcher&rsquo;s settings.
            </p>
          )}
        </section>

        <section aria-labelledby="org-mfa" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
          <h2 id="org-mfa" className="text-lg font-medium">
            Two-step verification
          </h2>
          <p className="mb-3 mt-1 text-sm text-slate-700" data-testid="mfa-rule">
            {org.requireSecondFactor
              ? `Required for sensitive operations: a second factor verified within the last ${org.secondFactorWindowMinutes} minutes.`
              : "Not required. Members may still set up a second factor for their own account."}
          </p>
          {owner ? (
            <>
              <p className="mb-3 text-sm text-slate-600">Turning this on, or changing it while it is on, needs your own second factor verified within the window.</p>
              <SecondFactorRuleForm required={org.requireSecondFactor} windowMinutes={org.secondFactorWindowMinutes} />
            </>
          ) : (
            <p className="text-sm text-slate-600">Only owners change this rule.</p>
          )}
          <p className="mt-3 text-sm">
            <Link href="/account/security" className="text-indigo-700 underline">
              Your own second factors
            </Link>
          </p>
        </section>

        <section aria-labelledby="org-flags" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
          <h2 id="org-flags" className="text-lg font-medium">
            Feature flags
          </h2>
          <p className="mt-1 text-sm text-slate-700">
            Turn features on or off for this organisation on the{" "}
            <Link href="/settings/flags" className="text-indigo-700 underline">
              Flags
            </Link>{" "}
            page.
          </p>
        </section>
      </div>
    );
  },
);
