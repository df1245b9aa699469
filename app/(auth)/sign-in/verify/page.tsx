import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { env } from "@/lib/env";
import { secondFactorChallengeCookie } from "@/lib/auth/current";
import { challengeSubject } from "@/lib/auth/embedded/second-factor";
import { SecondFactorSignInForm } from "@/components/auth/second-factor-form";
import { PasskeySignInButton } from "@/components/account/passkey-buttons";

export const metadata: Metadata = { title: "Two-step verification" };

/** IDN-2: the second sign-in step of the embedded provider, after a correct password for an account with TOTP. */
export default async function VerifySignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  if (env.identityProvider === "clerk") redirect("/sign-in");
  const { next } = await searchParams;
  const safeNext = typeof next === "string" && /^\/(?!\/)/.test(next) ? next : "/overview";
  const pending = await challengeSubject(await secondFactorChallengeCookie());
  return (
    <main className="mx-auto flex max-w-md flex-col gap-6 px-6 py-20">
      <div>
        <h1 className="text-2xl font-semibold">Two-step verification</h1>
        <p className="mt-1 text-sm text-slate-600">Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
      </div>
      <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        {pending ? (
          <div className="flex flex-col gap-4">
            <SecondFactorSignInForm next={safeNext} />
            <PasskeySignInButton next={safeNext} />
          </div>
        ) : (
          <p className="text-sm text-slate-700">
            This sign-in has expired.{" "}
            <Link href="/sign-in" className="font-medium text-indigo-700 underline">
              Sign in again
            </Link>
            .
          </p>
        )}
      </div>
    </main>
  );
}
