import type { Metadata } from "next";
import Link from "next/link";
import { env } from "@/lib/env";
import { getSession } from "@/lib/auth/current";
import { previewProjectLink, type LinkStatus } from "@/lib/grants";
import { AcceptLinkForm, CreateLinkAccountForm } from "@/components/grants/share-forms";
import { formatDateTime } from "@/lib/format/date";

export const metadata: Metadata = { title: "Shared project", referrer: "no-referrer" };

const REFUSED: Record<Exclude<LinkStatus, "valid">, { title: string; text: string }> = {
  invalid: { title: "This link is not valid", text: "Check that you copied the whole link, or ask the project's manager for a new one." },
  expired: { title: "This link has expired", text: "Ask the project's manager for a new one." },
  revoked: { title: "This link was revoked", text: "Ask the project's manager for a new one." },
  used: { title: "This link has been used up", text: "It worked as many times as its creator allowed. Ask the project's manager for a new one." },
  wrong_project: { title: "This link belongs to another project", text: "Open the link exactly as you received it, or ask the project's manager for a new one." },
};

/** TEN-7: a project invite link. The token in the path is the credential; the project id must match it. */
export default async function ShareLinkPage({ params }: { params: Promise<{ projectId: string; token: string }> }) {
  const { projectId, token } = await params;
  const preview = env.identityProvider === "embedded" ? await previewProjectLink(projectId, token) : { status: "invalid" as const };
  const session = await getSession();
  const refused = preview.status === "valid" ? null : REFUSED[preview.status];
  const here = `/share/${encodeURIComponent(projectId)}/${encodeURIComponent(token)}`;
  return (
    <main className="mx-auto flex max-w-md flex-col gap-6 px-6 py-20">
      {refused || preview.status !== "valid" ? (
        <div role="alert" className="rounded-lg border border-amber-200 bg-amber-50 p-6" data-testid="link-refused">
          <h1 className="text-xl font-semibold">{refused!.title}</h1>
          <p className="mt-2 text-sm text-slate-700">{refused!.text}</p>
          <p className="mt-4 text-sm">
            <Link href={session ? "/projects" : "/sign-in"} className="text-indigo-700 underline">
              {session ? "Go to your projects" : "Sign in"}
            </Link>
          </p>
        </div>
      ) : (
        <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
          <h1 className="text-xl font-semibold">Open “{preview.projectName}”</h1>
          <p className="mt-2 text-sm text-slate-700">
            {preview.orgName} shares this project with you as <strong>{preview.role}</strong>
            {preview.role === "viewer" ? " (read only)" : " (read and add documents and videos)"}. The link works until{" "}
            {formatDateTime(preview.expiresAt)}.
          </p>
          <div className="mt-6 flex flex-col gap-4">
            {session ? (
              <AcceptLinkForm projectId={projectId} token={token} />
            ) : (
              <>
                <p className="text-sm">
                  <Link href={`/sign-in?next=${encodeURIComponent(here)}`} className="font-medium text-indigo-700 underline">
                    Sign in
                  </Link>{" "}
                  to accept, or create an account:
                </p>
                <CreateLinkAccountForm projectId={projectId} token={token} />
              </>
            )}
          </div>
        </div>
      )}
    </main>
  );
}
