import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SignIn } from "@clerk/nextjs";
import { env } from "@/lib/env";
import { getSession } from "@/lib/auth/current";
import { DEMO_PASSWORD, DEMO_TOTP_USER, DEMO_USERS } from "@/lib/demo/data";
import { SignInForm } from "@/components/auth/sign-in-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  const safeNext = typeof next === "string" && /^\/(?!\/)/.test(next) ? next : "/overview";
  if (env.identityProvider === "clerk") {
    return (
      <main className="flex min-h-screen items-center justify-center">
        <SignIn forceRedirectUrl={safeNext} />
      </main>
    );
  }
  if (await getSession()) redirect(safeNext);
  const showDemo = env.NODE_ENV !== "production" || env.ALLOW_EMBEDDED_IN_PRODUCTION;
  return (
    <main className="mx-auto flex max-w-md flex-col gap-6 px-6 py-20">
      <div>
        <h1 className="text-2xl font-semibold">Sign in to TenantGuard</h1>
        <p className="mt-1 text-sm text-slate-600">Embedded identity provider (development and demos). Production uses Clerk.</p>
      </div>
      <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <SignInForm next={safeNext} />
      </div>
      {showDemo ? (
        <section aria-labelledby="demo-users" className="rounded-lg border border-amber-200 bg-amber-50 p-4 text-sm">
          <h2 id="demo-users" className="font-medium">
            Demo users (password <code>{DEMO_PASSWORD}</code>)
          </h2>
          <ul className="mt-2 space-y-1">
            {DEMO_USERS.map((u) => (
              <li key={u.id}>
                <code>{u.email}</code> — {u.memberships.map((m) => `${m.role} of ${m.orgId.replace("org_", "")}`).join(", ")}
              </li>
            ))}
            <li>
              <code>{DEMO_TOTP_USER.email}</code> — admin of acme, with two-step verification (TOTP secret <code className="break-all">{DEMO_TOTP_USER.totpSecret}</code>)
            </li>
          </ul>
        </section>
      ) : null}
    </main>
  );
}
