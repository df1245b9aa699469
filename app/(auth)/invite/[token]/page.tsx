import type { Metadata } from "next";
import Link from "next/link";
import { env } from "@/lib/env";
import { getSession } from "@/lib/auth/current";
import { withTenant } from "@/lib/db";
import { signOutAction } from "@/app/(auth)/actions";
import { previewInvite, type InviteStatus } from "@/lib/members";
import { AcceptInviteForm, CreateInvitedAccountForm } from "@/components/members/invite-forms";
import { formatDateTime } from "@/lib/format/date";

export const metadata: Metadata = { title: "Invitation", referrer: "no-referrer" };

const REFUSED: Record<Exclude<InviteStatus, "valid">, { title: string; text: string }> = {
  invalid: { title: "This invite link is not valid", text: "Check that you copied the whole link, or ask an admin of the organisation for a new one." },
  expired: { title: "This invite link has expired", text: "Ask an admin of the organisation for a new one." },
  revoked: { title: "This invite link was revoked", text: "Ask an admin of the organisation for a new one." },
  used: { title: "This invite link has already been used", text: "Each link works once. If it was not you, tell an admin of the organisation." },
};

/** TEN-3: an organisation invite link (embedded provider). The token in the path is the credential. */
export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const preview = env.identityProvider === "embedded" ? await previewInvite(token) : { status: "invalid" as const };
  const session = await getSession();
  const refused = preview.status === "valid" ? null : REFUSED[preview.status];
  // Signed in as someone else than the invited email: say so before they try (the redemption refuses it anyway).
  const signedInEmail =
    session && !refused
      ? ((await withTenant(session.claims, (tx) => tx.query<{ email: string | null }>("select email from public.users where id = $1", [session.userId])))[0]?.email ?? null)
      : null;
  return (
    <main className="mx-auto flex max-w-md flex-col gap-6 px-6 py-20">
      {refused ? (
        <div role="alert" className="rounded-lg border border-amber-200 bg-amber-50 p-6">
          <h1 className="text-xl font-semibold">{refused.title}</h1>
          <p className="mt-2 text-sm text-slate-700">{refused.text}</p>
          <p className="mt-4 text-sm">
            <Link href={session ? "/projects" : "/sign-in"} className="text-indigo-700 underline">
              {session ? "Go to your projects" : "Sign in"}
            </Link>
          </p>
        </div>
      ) : (
        <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
          <h1 className="text-xl font-semibold">Join {preview.orgName}</h1>
          <p className="mt-2 text-sm text-slate-700">
            You are invited as <strong>{preview.role}</strong>, with the email <strong>{preview.email}</strong>. The link works once, until{" "}
            {formatDateTime(preview.expiresAt)}.
          </p>
          <div className="mt-6">
            {session && signedInEmail !== preview.email ? (
              <div role="alert" className="flex flex-col gap-3 text-sm">
                <p>
                  You are signed in as <strong>{signedInEmail ?? "another account"}</strong>, but this invite is for <strong>{preview.email}</strong>. Sign out, then open the
                  link again and sign in with the invited account.
                </p>
                <form action={signOutAction}>
                  <button type="submit" className="rounded-md px-3 py-2 ring-1 ring-slate-300 hover:bg-slate-100">
                    Sign out
                  </button>
                </form>
              </div>
            ) : session ? (
              <AcceptInviteForm token={token} />
            ) : preview.accountExists ? (
              <p className="text-sm">
                <Link href={`/sign-in?next=${encodeURIComponent(`/invite/${token}`)}`} className="font-medium text-indigo-700 underline">
                  Sign in as {preview.email}
                </Link>{" "}
                to accept.
              </p>
            ) : (
              <CreateInvitedAccountForm token={token} email={preview.email!} />
            )}
          </div>
        </div>
      )}
    </main>
  );
}
