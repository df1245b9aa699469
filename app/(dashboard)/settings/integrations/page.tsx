import type { Metadata } from "next";
import { definePage } from "@/lib/pages/define-page";
import { listCredentials } from "@/lib/credentials/store";
import { SERVICES, SERVICE_IDS } from "@/lib/credentials";
import { CredentialCard } from "@/components/credentials/credential-card";
import { deleteIntegrationAction, setIntegrationAction, testIntegrationAction } from "./actions";
import { formatDateTime } from "@/lib/format/date";

export const metadata: Metadata = { title: "Integrations" };

/** ENC-1: the org's third-party credentials, for owners and admins; write-only (last 4 characters shown). */
export default definePage(
  { name: "integrations.page", title: "Integrations", minimumRole: "admin", read: async ({ tx }) => listCredentials(tx, "org") },
  function IntegrationsPage({ data }) {
    const stored = new Map(data.map((c) => [c.service, c]));
    return (
      <div className="flex flex-col gap-6">
        <div>
          <h1 className="text-2xl font-semibold">Integrations</h1>
          <p className="text-sm text-slate-600">
            Credentials this organisation uses to call other services. They are encrypted with this organisation&apos;s own data key and are never shown again
            after saving: only their last 4 characters. A member&apos;s own token (Account → Credentials) is used before the organisation&apos;s.
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
                stored: c
                  ? {
                      last4: c.last4,
                      setBy: c.setBy,
                      setAt: formatDateTime(c.setAt),
                      lastTest: c.lastTestedAt ? `Last test ${c.lastTestOk ? "passed" : "failed"} on ${formatDateTime(c.lastTestedAt)}.` : null,
                    }
                  : null,
              }}
              save={setIntegrationAction}
              remove={deleteIntegrationAction}
              test={SERVICES[service].testable ? testIntegrationAction : undefined}
            />
          );
        })}
      </div>
    );
  },
);
