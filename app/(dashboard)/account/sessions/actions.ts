"use server";

import { redirect } from "next/navigation";
import { clearSessionCookie, getSession } from "@/lib/auth/current";
import { currentRequestContext } from "@/lib/http/request-context";
import { revokeOwnSession } from "@/lib/actions/revoke-session";

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
