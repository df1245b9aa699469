import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { getSession } from "@/lib/auth/current";
import { currentRequestContext, type RequestContext } from "@/lib/http/request-context";
import type { Session } from "@/lib/auth/claims";
import { readForPage } from "@/lib/pages/read";
import { EVIDENCE_PAGE } from "@/lib/evidence/page";
import { VERIFY_PATH } from "@/lib/auth/second-factor-rule";
import { AdminsOnly, NoOrganisation, ServiceUnavailable } from "@/components/pages/page-notices";

export const metadata: Metadata = { title: "Evidence pack" };

const REFUSALS: Record<string, string> = {
  "second-factor": "This organisation requires a recent two-step verification to export evidence. Verify now, then download again.",
  "rate-limited": "This organisation has exported several packs in the last few minutes. Wait a few minutes, then try again.",
};

/**
 * OPS-3: the evidence pack export. Owners and admins download the signed, deterministic archive (every control's
 * live result, the populations behind the checks, the audit checkpoint, the version and SBOM hash, OSCAL); members
 * are told the page is for admins; guests do not see it (404).
 */
async function EvidencePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const refusedParam = (await searchParams).refused;
  const refused = typeof refusedParam === "string" ? REFUSALS[refusedParam] : undefined;
  const outcome = await readForPage(await getSession(), EVIDENCE_PAGE, undefined, await currentRequestContext());
  if (outcome.kind === "sign_in") redirect("/sign-in");
  if (outcome.kind === "not_found") notFound();
  if (outcome.kind === "no_organisation") return <NoOrganisation />;
  if (outcome.kind === "unavailable") return <ServiceUnavailable />;
  if (outcome.kind === "admins_only") return <AdminsOnly title={outcome.title} minimumRole={outcome.minimumRole} ask={outcome.ask} />;
  const data = outcome.data;
  if (!data.admin) {
    return (
      <div className="flex flex-col gap-2" data-testid="admins-only">
        <h1 className="text-2xl font-semibold">Evidence pack</h1>
        <p className="text-slate-700">Admins only: the evidence pack is exported by the organisation&apos;s owners and admins. Ask one of them for a copy.</p>
      </div>
    );
  }
  const needsVerification = data.secondFactorRequired && !data.secondFactorFresh;
  return (
    <div className="flex max-w-3xl flex-col gap-6">
      <div>
        <h1 className="text-2xl font-semibold">Evidence pack</h1>
        <p className="text-sm text-slate-700">
          One signed archive for an auditor: every control with the live result of its checks, the rows each check decided on (queries, row counts and hashes), the
          audit log&apos;s signed checkpoint, the app version and the SBOM&apos;s hash, as Markdown, JSON and an OSCAL assessment-results document. The same state
          always gives the same file, byte for byte.
        </p>
      </div>

      {refused ? (
        <p role="alert" className="rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950" data-testid="export-refused">
          {refused}
          {refusedParam === "second-factor" ? (
            <>
              {" "}
              <Link className="font-medium text-indigo-800 underline" href={VERIFY_PATH}>
                Verify now
              </Link>
            </>
          ) : null}
        </p>
      ) : null}

      <section aria-labelledby="evidence-download" className="flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
        <h2 id="evidence-download" className="text-lg font-medium">
          Download
        </h2>
        {needsVerification ? (
          <p className="text-sm text-slate-700" data-testid="needs-verification">
            This organisation requires a two-step verification in the last {data.windowMinutes} minutes before evidence is exported.{" "}
            <Link className="font-medium text-indigo-800 underline" href={VERIFY_PATH}>
              Verify now
            </Link>
          </p>
        ) : null}
        <form method="post" action="/security/evidence/download">
          <button
            type="submit"
            className="rounded-md bg-indigo-700 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-700"
          >
            Download evidence pack (.zip)
          </button>
        </form>
        <p className="text-xs text-slate-600">
          Every export is recorded in the audit log (evidence.exported, with the pack&apos;s manifest hash). At most {data.exportLimit.limit} exports per organisation
          every {data.exportLimit.window.replace(" m", " minutes")}.
        </p>
      </section>

      <section aria-labelledby="evidence-verify" className="flex flex-col gap-2 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
        <h2 id="evidence-verify" className="text-lg font-medium">
          How an auditor verifies it
        </h2>
        <ol className="list-decimal pl-5 text-sm text-slate-700">
          <li>
            Save this deployment&apos;s public key from{" "}
            <a className="break-all text-indigo-800 underline" href="/.well-known/tenantguard-audit-key">
              /.well-known/tenantguard-audit-key
            </a>{" "}
            as key.json.
          </li>
          <li>
            Run <code className="rounded bg-slate-100 px-1 break-all">npm run verify:evidence -- pack.zip --public-key key.json</code>: it checks every file against the
            signed manifest, that none is missing or added, the audit checkpoint&apos;s signature and the OSCAL document, with no network.
          </li>
        </ol>
      </section>
    </div>
  );
}

/** The page's own read, outside Next.js's request scope (as definePage pages expose it): what the integration tests call. */
export default Object.assign(EvidencePage, {
  readFor: (session: Session | null, _rawParams: unknown, request: RequestContext) => readForPage(session, EVIDENCE_PAGE, undefined, request),
});
