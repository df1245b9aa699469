import type { Metadata } from "next";
import { env } from "@/lib/env";
import { definePage } from "@/lib/pages/define-page";
import { getOwnProfile } from "@/lib/profile";
import { NameForm } from "@/components/settings/name-form";
import { updateDisplayNameAction } from "./actions";

export const metadata: Metadata = { title: "Profile" };

/** The signed-in user's profile: the name others see (editable, audited) and the email they sign in with. */
export default definePage({ name: "account.profile", title: "Profile", minimumRole: "guest", read: ({ tx, session }) => getOwnProfile(tx, session.userId) }, function ProfilePage({ data: profile, session }) {
  if (!profile) return <p className="text-slate-700">Your profile could not be read. Reload the page in a moment.</p>;
  const editable = env.identityProvider === "embedded" && !session.actor;
  return (
    <div className="flex flex-col gap-6">
      <div>
        <h1 className="text-2xl font-semibold">Profile</h1>
        <p className="text-sm text-slate-600">How you appear to others in your organisations.</p>
      </div>
      <section aria-labelledby="profile-name" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
        <h2 id="profile-name" className="mb-3 text-lg font-medium">
          Display name
        </h2>
        {editable ? (
          <NameForm action={updateDisplayNameAction} id="display-name" name="displayName" label="Display name" current={profile.displayName ?? ""} formLabel="Change display name" />
        ) : (
          <p className="break-words text-sm text-slate-700">
            <strong>{profile.displayName ?? profile.email}</strong>
            {session.actor ? ". A support session cannot change it." : ". Your name is kept by the identity provider: change it from your account menu."}
          </p>
        )}
      </section>
      <section aria-labelledby="profile-email" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
        <h2 id="profile-email" className="text-lg font-medium">
          Email
        </h2>
        <p className="mt-1 break-words text-sm text-slate-700" data-testid="profile-email">
          {profile.email}
        </p>
        <p className="mt-1 text-xs text-slate-600">You sign in with this address. To change it, ask an owner of your organisation to invite the new address.</p>
      </section>
    </div>
  );
});
