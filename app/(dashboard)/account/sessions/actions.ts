"use server";

import { redirect } from "next/navigation";
import { clearSessionCookie, getSession } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { revokeOwnSession } from "@/lib/actions/revoke-session";
import { revokeOtherSessions } from "@/lib/auth/embedded/sign-in";

/** IDN-4: thin wrapper; revoking the current session signs out. */
export async function revokeSessionAction(formData: FormData): Promise<void> {
  const session = await getSession();
  if (!session) redirect("/sign-in");
  const id = formData.get("sessionId");
  await revokeOwnSession(session, id, await currentRequestContext());
  if (id === session.sessionId) {
    await clearSessionCookie();
    redirect("/sign-in");
  }
  redirect("/account/sessions");
}

/** IDN-4: sign out everywhere else; this session stays. */
export async function revokeOtherSessionsAction(): Promise<void> {
  const session = await getSession();
  if (!session) redirect("/sign-in");
  await revokeOtherSessions(session);
  redirect("/account/sessions");
}
