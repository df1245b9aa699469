import type { Metadata } from "next";
import Link from "next/link";
import { env } from "@/lib/env";
import { definePage } from "@/lib/pages/define-page";
import { ownSecondFactors, totpEnrolment } from "@/lib/auth/embedded/second-factor";
import { orgSecondFactorRule } from "@/lib/auth/second-factor-rule";
import { ConfirmTotpForm, SecondFactorRuleForm } from "@/components/account/security-forms";
import { AddPasskeyButton } from "@/components/account/passkey-buttons";
import { startTotpEnrolmentAction } from "./actions";

export const metadata: Metadata = { title: "Account security" };

/** IDN-2 / IDN-5: the user's second factors, and (owners) the org's two-step verification rule. */
export default definePage(
  {
    name: "account.security",
    minimumRole: "signed-in",
    async read({ tx, session }) {
      const rule = session.orgId ? await orgSecondFactorRule(tx, session.orgId) : null;
      if (env.identityProvider === "clerk") return { embedded: false as const, rule };
      const factors = await ownSecondFactors(tx);
      let enrolment: { uri: string; qrDataUrl: string; secret: string } | null = null;
      if (factors.totpPending && !factors.totp) {
        const [row] = await tx.query<{ secret: string | null; email: string }>("select idp.own_totp_secret() as secret, (select email from public.users where id = $1) as email", [session.userId]);
        if (row?.secret) enrolment = { ...(await totpEnrolment(row.email, row.secret)), secret: row.secret };
      }
      const [count] = await tx.query<{ n: number }>("select idp.own_passkey_count() as n");
      return { embedded: true as const, factors, enrolment, rule, passkeys: count?.n ?? 0 };
    },
  },
  ({ data, session }) => (
    <div className="flex flex-col gap-8">
      <div>
        <h1 className="text-2xl font-semibold">Account security</h1>
        <p className="mt-1 text-sm text-slate-600">
          Second factor: {session.secondFactorAgeMinutes === null ? "not verified in this session" : `verified ${session.secondFactorAgeMinutes} minute(s) before this session's token was issued`}.
        </p>
      </div>

      <section aria-labelledby="totp-heading" className="rounded-lg border border-slate-200 bg-white p-4 sm:p-6">
        <h2 id="totp-heading" className="text-lg font-medium">
          Authenticator app
        </h2>
        {!data.embedded ? (
          <p className="mt-2 text-sm text-slate-700">Manage two-step verification from your Clerk account menu (top right).</p>
        ) : data.factors.totp ? (
          <div className="mt-2 flex flex-col gap-2 text-sm text-slate-700">
            <p>Two-step verification is on. Recovery codes left: {data.factors.recoveryCodesLeft}.</p>
            <p>
              <Link href="/account/security/verify" className="font-medium text-indigo-700 underline">
                Verify now
              </Link>{" "}
              to refresh your second factor before a sensitive operation.
            </p>
          </div>
        ) : data.enrolment ? (
          <div className="mt-3 flex flex-col gap-4 sm:flex-row">
            {/* eslint-disable-next-line @next/next/no-img-element -- a data: URL generated on the server */}
            <img src={data.enrolment.qrDataUrl} width={200} height={200} alt="QR code to add TenantGuard to your authenticator app" className="rounded-md border border-slate-200" />
            <div className="flex flex-col gap-3">
              <p className="text-sm text-slate-700">Scan the QR code with your authenticator app, or enter this key by hand:</p>
              <code className="break-all rounded bg-slate-50 p-2 text-sm" aria-label="Setup key">
                {data.enrolment.secret}
              </code>
              <ConfirmTotpForm />
            </div>
          </div>
        ) : (
          <form action={startTotpEnrolmentAction} className="mt-3">
            <p className="mb-3 text-sm text-slate-700">Add a second step to sign-in: a 6-digit code from an authenticator app.</p>
            <button type="submit" className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-700">
              Set up an authenticator app
            </button>
          </form>
        )}
      </section>

      {data.embedded ? (
        <section aria-labelledby="passkeys-heading" className="rounded-lg border border-slate-200 bg-white p-4 sm:p-6">
          <h2 id="passkeys-heading" className="text-lg font-medium">
            Passkeys
          </h2>
          <p className="mb-3 mt-1 text-sm text-slate-600">A passkey on this device or a security key, as your second sign-in step. Passkeys registered: {data.passkeys}.</p>
          <AddPasskeyButton />
        </section>
      ) : null}

      {data.rule && session.orgRole === "owner" ? (
        <section aria-labelledby="rule-heading" className="rounded-lg border border-slate-200 bg-white p-4 sm:p-6">
          <h2 id="rule-heading" className="text-lg font-medium">
            Organisation rule
          </h2>
          <p className="mb-3 mt-1 text-sm text-slate-600">Turning this on, or changing it while it is on, needs your own second factor verified within the window.</p>
          <SecondFactorRuleForm required={data.rule.required} windowMinutes={data.rule.windowMinutes} />
        </section>
      ) : data.rule?.required ? (
        <p className="text-sm text-slate-700">This organisation requires two-step verification for sensitive operations.</p>
      ) : null}
    </div>
  ),
);
