import type { Metadata } from "next";
import Link from "next/link";
import { definePage } from "@/lib/pages/define-page";
import { ownSecondFactors } from "@/lib/auth/embedded/second-factor";
import { env } from "@/lib/env";
import { StepUpForm } from "@/components/account/security-forms";

export const metadata: Metadata = { title: "Verify now" };

/** IDN-5: the "verify now" step a sensitive operation asks for: a TOTP code refreshes the session's second factor. */
export default definePage(
  { name: "account.security.verify", minimumRole: "signed-in", read: ({ tx }) => (env.identityProvider === "clerk" ? Promise.resolve(null) : ownSecondFactors(tx)) },
  ({ data }) => (
    <div className="flex max-w-md flex-col gap-4">
      <h1 className="text-2xl font-semibold">Verify now</h1>
      {data?.totp ? (
        <StepUpForm next="/account/security" />
      ) : (
        <p className="text-sm text-slate-700">
          {data === null ? "Verify from your Clerk account menu." : "Set up an authenticator app first: "}
          {data === null ? null : (
            <Link href="/account/security" className="font-medium text-indigo-700 underline">
              Account security
            </Link>
          )}
        </p>
      )}
    </div>
  ),
);
