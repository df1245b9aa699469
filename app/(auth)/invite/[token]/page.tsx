import type { Metadata } from "next";
import Link from "next/link";
import { env } from "@/lib/env";
import { getSession } from "@/lib/auth/current";
import { previewInvite, type InviteStatus } from "@/lib/members";
import { AcceptInviteForm, CreateInvitedAccountForm } from "@/components/members/invite-forms";

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
  const refused = preview.status === "valid" ? null : REFUSED[preview.status];
  const session = await getSession();
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
            {preview.expiresAt!.toLocaleString("en-GB", { timeZone: "UTC", dateStyle: "medium", timeStyle: "short" })} UTC.
          </p>
          <div className="mt-6">
            {session ? (
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
