import Link from "next/link";
import { redirect } from "next/navigation";
import { OrganizationSwitcher, UserButton } from "@clerk/nextjs";
import { env } from "@/lib/env";
import { getSession } from "@/lib/auth/current";
import type { Session } from "@/lib/auth/claims";
import { organizationsOf, type Organization } from "@/lib/auth/embedded/sign-in";
import { DatabaseUnavailableError } from "@/lib/db";
import { ServiceUnavailable } from "@/components/pages/page-notices";
import { signOutAction, switchOrganizationAction } from "@/app/(auth)/actions";
import { withTenant } from "@/lib/db";
import { operatorLabel } from "@/lib/support";
import { SupportBanner } from "@/components/support/support-banner";

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  // Every dashboard request verifies the session server-side (the proxy only checks that a cookie exists).
  const embedded = env.identityProvider === "embedded";
  let session: Session | null;
  let orgs: Organization[];
  let operator: string | null = null;
  try {
    session = await getSession();
    orgs = session && embedded ? await organizationsOf(session.userId) : [];
    // TEN-8: a support session names its operator in a banner on every page.
    if (session?.support) operator = await withTenant(session.claims, (tx) => operatorLabel(tx, session!.support!.operatorId));
  } catch (error) {
    // The same clear notice the page pipeline shows (lib/pages), not an error page.
    if (error instanceof DatabaseUnavailableError) {
      return (
        <main className="mx-auto max-w-5xl px-6 py-8">
          <ServiceUnavailable />
        </main>
      );
    }
    throw error;
  }
  if (!session) redirect("/sign-in");
  const active = orgs.find((o) => o.id === session.orgId);

  return (
    <div className="min-h-screen">
      {session.support ? <SupportBanner operator={operator ?? session.support.operatorId} level={session.support.level} endsAt={session.expiresAt} /> : null}
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-5xl flex-wrap items-center gap-4 px-6 py-3">
          <Link href="/projects" className="font-semibold">
            TenantGuard
          </Link>
          <nav aria-label="Main" className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
            <Link href="/projects" className="text-slate-700 hover:text-slate-950">
              Projects
            </Link>
            {/* TEN-7: a guest's dashboard has its projects only; every org-level page is a 404 for it. */}
            {session.orgRole !== "guest" ? (
              <Link href="/settings/members" className="text-slate-700 hover:text-slate-950">
                Members
              </Link>
            ) : null}
            <Link href="/account/sessions" className="text-slate-700 hover:text-slate-950">
              Sessions
            </Link>
            <Link href="/account/security" className="text-slate-700 hover:text-slate-950">
              Security
            </Link>
            <Link href="/account/credentials" className="text-slate-700 hover:text-slate-950">
              Credentials
            </Link>
            {session.orgRole === "owner" || session.orgRole === "admin" ? (
              <>
                <Link href="/settings/api-keys" className="text-slate-700 hover:text-slate-950">
                  API keys
                </Link>
                <Link href="/settings/billing" className="text-slate-700 hover:text-slate-950">
                  Billing
                </Link>
                <Link href="/settings/jobs" className="text-slate-700 hover:text-slate-950">
                  Jobs
                </Link>
                <Link href="/settings/webhooks" className="text-slate-700 hover:text-slate-950">
                  Webhooks
                </Link>
                <Link href="/settings/audit" className="text-slate-700 hover:text-slate-950">
                  Audit log
                </Link>
                <Link href="/settings/integrations" className="text-slate-700 hover:text-slate-950">
                  Integrations
                </Link>
                <Link href="/settings/flags" className="text-slate-700 hover:text-slate-950">
                  Flags
                </Link>
              </>
            ) : null}
            {session.orgRole === "owner" && !session.actor ? (
              <Link href="/settings/support-access" className="text-slate-700 hover:text-slate-950">
                Support access
              </Link>
            ) : null}
            <Link href="/docs/api" className="text-slate-700 hover:text-slate-950">
              API docs
            </Link>
          </nav>
          <div className="ml-auto flex items-center gap-3 text-sm">
            {embedded ? (
              <>
                {/* A support session is left with the banner's End session button (audited), not by switching. */}
                {session.actor ? null : <form action={switchOrganizationAction} className="flex items-center gap-2">
                  <label htmlFor="org-switcher" className="sr-only">
                    Organisation
                  </label>
                  <select id="org-switcher" name="orgId" defaultValue={session.orgId ?? ""} className="rounded-md border border-slate-300 bg-white px-2 py-1">
                    {orgs.map((o) => (
                      <option key={o.id} value={o.id}>
                        {o.name} ({o.role})
                      </option>
                    ))}
                  </select>
                  <button type="submit" className="rounded-md px-2 py-1 ring-1 ring-slate-300 hover:bg-slate-100">
                    Switch
                  </button>
                </form>}
                <form action={signOutAction}>
                  <button type="submit" className="rounded-md px-2 py-1 text-slate-700 ring-1 ring-slate-300 hover:bg-slate-100">
                    Sign out
                  </button>
                </form>
              </>
            ) : (
              <>
                <OrganizationSwitcher hidePersonal />
                <UserButton />
              </>
            )}
          </div>
        </div>
        {active ? (
          <p className="mx-auto max-w-5xl px-6 pb-2 text-xs text-slate-500" data-testid="active-org">
            Signed in to <strong>{active.name}</strong> as {active.role}
          </p>
        ) : null}
      </header>
      <main className="mx-auto max-w-5xl px-6 py-8">{children}</main>
    </div>
  );
}
