import Link from "next/link";
import { redirect } from "next/navigation";
import { OrganizationSwitcher, UserButton } from "@clerk/nextjs";
import { env } from "@/lib/env";
import { getSession } from "@/lib/auth/current";
import type { Session } from "@/lib/auth/claims";
import { organizationsOf, type Organization } from "@/lib/auth/embedded/sign-in";
import { DatabaseUnavailableError, withTenant } from "@/lib/db";
import { ServiceUnavailable } from "@/components/pages/page-notices";
import { signOutAction, switchOrganizationAction } from "@/app/(auth)/actions";
import { operatorLabel } from "@/lib/support";
import { ownLabel } from "@/lib/profile";
import { SupportBanner } from "@/components/support/support-banner";
import { ToastRegion } from "@/components/ui/toast";
import { NavLinks, SidebarShell } from "./sidebar";
import { navigationFor } from "./navigation";

const ROLE_LABEL: Record<string, string> = { owner: "owner", admin: "admin", member: "member", guest: "guest" };

/** The page frame with no session: the product name and a way to sign in (e.g. a 404 for a signed-out visitor). */
function PublicFrame({ children }: { children: React.ReactNode }) {
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-5xl items-center gap-4 px-4 py-3 sm:px-6">
          <Link href="/" className="font-semibold">
            TenantGuard
          </Link>
          <Link href="/sign-in" className="ml-auto text-sm text-indigo-700 underline">
            Sign in
          </Link>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-5xl px-4 py-8 sm:px-6">
        {children}
      </main>
    </div>
  );
}

/**
 * The dashboard's frame: sidebar (org switcher, navigation, signed-in user) and the page. Every dashboard request
 * verifies the session server-side (the proxy only checks that a cookie exists). `signedOut: "public"` renders the
 * public frame instead of redirecting (the app-wide 404 page).
 */
export async function AppShell({ children, signedOut = "redirect" }: { children: React.ReactNode; signedOut?: "redirect" | "public" }) {
  const embedded = env.identityProvider === "embedded";
  let session: Session | null;
  let orgs: Organization[] = [];
  let operator: string | null = null;
  let userLabel: string | null = null;
  try {
    session = await getSession();
    if (session) {
      orgs = embedded ? await organizationsOf(session.userId) : [];
      const s = session;
      // TEN-8: a support session names its operator in a banner on every page.
      if (s.support) operator = await withTenant(s.claims, (tx) => operatorLabel(tx, s.support!.operatorId));
      // The person by name (or email), never by internal id.
      userLabel = s.actor ? null : await withTenant(s.claims, (tx) => ownLabel(tx, s.userId));
    }
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
  if (!session) {
    if (signedOut === "public") return <PublicFrame>{children}</PublicFrame>;
    redirect("/sign-in");
  }
  const active = orgs.find((o) => o.id === session.orgId);
  const groups = navigationFor(session.orgRole, { supportSession: !!session.actor });

  return (
    <ToastRegion>
      <div className="min-h-screen">
        <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:ring-2 focus:ring-indigo-500">
          Skip to content
        </a>
        {session.support ? <SupportBanner operator={operator ?? session.support.operatorId} level={session.support.level} endsAt={session.expiresAt} /> : null}
        <div className="lg:flex">
          <aside className="border-b border-slate-200 bg-white lg:sticky lg:top-0 lg:h-screen lg:w-64 lg:shrink-0 lg:overflow-y-auto lg:border-b-0 lg:border-r" aria-label="Sidebar">
            <SidebarShell
              brand={
                <Link href={session.orgRole === "guest" ? "/projects" : "/overview"} className="font-semibold">
                  TenantGuard
                </Link>
              }
              status={
                active ? (
                  <p className="break-words px-4 pb-2 text-xs text-slate-600" data-testid="active-org">
                    Signed in to <strong>{active.name}</strong> as {ROLE_LABEL[active.role] ?? active.role}
                  </p>
                ) : null
              }
            >
              {embedded ? (
                // A support session is left with the banner's End session button (audited), not by switching;
                // a user with one organisation has nothing to switch to.
                !session.actor && orgs.length > 1 ? (
                  <form action={switchOrganizationAction} className="flex flex-wrap items-center gap-2 px-4 pt-4 text-sm">
                    <label htmlFor="org-switcher" className="sr-only">
                      Organisation
                    </label>
                    <select id="org-switcher" name="orgId" defaultValue={session.orgId ?? ""} className="min-w-0 flex-1 rounded-md border border-slate-300 bg-white px-2 py-1.5">
                      {orgs.map((o) => (
                        <option key={o.id} value={o.id}>
                          {o.name} ({o.role})
                        </option>
                      ))}
                    </select>
                    <button type="submit" className="rounded-md px-2 py-1.5 ring-1 ring-slate-300 hover:bg-slate-100">
                      Switch
                    </button>
                  </form>
                ) : null
              ) : (
                <div className="px-4 pt-4">
                  <OrganizationSwitcher hidePersonal />
                </div>
              )}
              <NavLinks groups={groups} />
              <div className="flex flex-wrap items-center gap-3 border-t border-slate-200 px-4 py-3 text-sm">
                {embedded ? (
                  <>
                    <p className="min-w-0 flex-1 break-words text-slate-800" data-testid="signed-in-user">
                      <span className="sr-only">Signed in as </span>
                      {userLabel ?? (session.actor ? "Support operator" : "You")}
                    </p>
                    <form action={signOutAction}>
                      <button type="submit" className="rounded-md px-2 py-1 text-slate-700 ring-1 ring-slate-300 hover:bg-slate-100">
                        Sign out
                      </button>
                    </form>
                  </>
                ) : (
                  <>
                    <UserButton />
                    {userLabel ? (
                      <p className="min-w-0 flex-1 break-words text-slate-800" data-testid="signed-in-user">
                        {userLabel}
                      </p>
                    ) : null}
                  </>
                )}
              </div>
            </SidebarShell>
          </aside>
          <main id="main" className="min-w-0 flex-1 px-4 py-6 sm:px-6 lg:px-8 lg:py-8">
            <div className="mx-auto max-w-5xl">{children}</div>
          </main>
        </div>
      </div>
    </ToastRegion>
  );
}
