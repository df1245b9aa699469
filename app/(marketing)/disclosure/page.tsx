import type { Metadata } from "next";
import { env } from "@/lib/env";
import { DISCLOSURE, SECURITY_TXT_EXPIRES, SECURITY_TXT_PATH, securityContacts } from "@/lib/security/security-txt";

export const metadata: Metadata = { title: "Reporting a vulnerability" };

const contactLabel = (uri: string) => uri.replace(/^mailto:|^tel:/, "");

/** OPS-5: the disclosure policy security.txt's `Policy` field points to (the same terms as SECURITY.md). */
export default function DisclosurePage() {
  const contacts = securityContacts({ appUrl: env.APP_URL, contacts: env.SECURITY_CONTACT });
  return (
    <main className="mx-auto flex max-w-3xl flex-col gap-6 px-6 py-12 text-slate-800">
      <header className="flex flex-col gap-2">
        <h1 className="text-3xl font-semibold">Reporting a vulnerability</h1>
        <p>If you believe you have found a security problem in TenantGuard, tell us privately first. We will work with you to understand and fix it.</p>
      </header>
      <section aria-labelledby="how" className="flex flex-col gap-2">
        <h2 id="how" className="text-xl font-medium">
          How to report
        </h2>
        <ul className="list-disc pl-6">
          {contacts.map((c) => (
            <li key={c}>
              <a href={c} className="text-blue-800 underline hover:text-blue-950">
                {contactLabel(c)}
              </a>
            </li>
          ))}
        </ul>
        <p>
          Describe the issue, the steps to reproduce it and what an attacker could achieve. Do not include other people&apos;s data. These contacts are also
          published in <a href={SECURITY_TXT_PATH} className="text-blue-800 underline hover:text-blue-950">{SECURITY_TXT_PATH}</a> (reviewed until{" "}
          {SECURITY_TXT_EXPIRES.slice(0, 10)}).
        </p>
      </section>
      <section aria-labelledby="times" className="flex flex-col gap-2">
        <h2 id="times" className="text-xl font-medium">
          What happens next
        </h2>
        <ul className="list-disc pl-6">
          <li>We acknowledge your report within {DISCLOSURE.acknowledgeBusinessDays} business days.</li>
          <li>We tell you our assessment (confirmed or not, and its severity) within {DISCLOSURE.assessmentBusinessDays} business days.</li>
          <li>We fix or mitigate confirmed critical and high issues within {DISCLOSURE.fixCriticalDays} days, and agree a disclosure date with you.</li>
        </ul>
      </section>
      <section aria-labelledby="scope" className="flex flex-col gap-2">
        <h2 id="scope" className="text-xl font-medium">
          Scope
        </h2>
        <p>
          In scope: this application, its partner API, its webhooks and its source code. Out of scope: denial-of-service and volume testing, social engineering,
          physical attacks, and the services of other providers we use (report those to them).
        </p>
      </section>
      <section aria-labelledby="harbour" className="flex flex-col gap-2">
        <h2 id="harbour" className="text-xl font-medium">
          Safe harbour
        </h2>
        <p>
          We will not pursue or support legal action against research done in good faith under this policy: use only test accounts or organisations you own, stop
          and tell us as soon as you reach data that is not yours, do not keep or share it, and give us reasonable time to fix the issue before you publish.
        </p>
      </section>
    </main>
  );
}
