import type { Metadata } from "next";
import { definePage } from "@/lib/pages/define-page";
import { listCredentials } from "@/lib/credentials/store";
import { SERVICES, SERVICE_IDS } from "@/lib/credentials";
import { CredentialCard } from "@/components/credentials/credential-card";
import { deletePersonalCredentialAction, setPersonalCredentialAction } from "./actions";
import { formatDateTime } from "@/lib/format/date";

export const metadata: Metadata = { title: "Your credentials" };

/** ENC-5: the signed-in person's own tokens in this organisation; nobody else (admins included) can read them. */
export default definePage(
  { name: "personal_credentials.page", minimumRole: "member", read: async ({ tx }) => listCredentials(tx, "personal") },
  function PersonalCredentialsPage({ data }) {
    const stored = new Map(data.map((c) => [c.service, c]));
    return (
      <div className="flex flex-col gap-6">
        <div>
          <h1 className="text-2xl font-semibold">Your credentials</h1>
          <p className="text-sm text-slate-600">
            Your own tokens for services this organisation uses. They are used instead of the organisation&apos;s for what you do, and only you can use or
            see them: not even the organisation&apos;s admins. Only their last 4 characters are shown after saving.
          </p>
        </div>
        {SERVICE_IDS.map((service) => {
          const c = stored.get(service);
          return (
            <CredentialCard
              key={service}
              view={{
                service,
                label: SERVICES[service].label,
                what: SERVICES[service].what,
                stored: c ? { last4: c.last4, setBy: null, setAt: formatDateTime(c.setAt), lastTest: null } : null,
              }}
              save={setPersonalCredentialAction}
              remove={deletePersonalCredentialAction}
            />
          );
        })}
      </div>
    );
  },
);
