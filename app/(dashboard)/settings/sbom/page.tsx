import type { Metadata } from "next";
import { definePage } from "@/lib/pages/define-page";
import { sbomSummary } from "@/lib/ops/sbom";

export const metadata: Metadata = { title: "Software bill of materials" };

const utc = (d: Date) => d.toLocaleString("en-GB", { timeZone: "UTC", dateStyle: "medium", timeStyle: "medium" }) + " UTC";

/**
 * OPS-2: the running build's CycloneDX SBOM (every package the production build ships, with versions and licences),
 * for owners and admins; everyone else: this page does not exist (TEN-3, page pipeline). It reads a file of the
 * build, nothing of the org's.
 */
export default definePage({ name: "sbom.view", title: "Software bill of materials", minimumRole: "admin", read: () => sbomSummary() }, function SbomPage({ data }) {
  return (
    <div className="flex flex-col gap-6">
      <div>
        <h1 className="text-2xl font-semibold">Software bill of materials</h1>
        <p className="text-sm text-slate-600">
          Every build of TenantGuard lists the packages it ships to production, with their versions, licences and package URLs, as a CycloneDX document. Give it to
          your security team or scanner to check the running version against published advisories.
        </p>
      </div>
      <section aria-labelledby="sbom-build" className="flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
        <h2 id="sbom-build" className="text-lg font-medium">
          Running version {data.runningVersion}
        </h2>
        {!data.present ? (
          <p className="text-sm text-amber-800" role="status">
            This build has no SBOM. It is written by <code>npm run build</code> (or <code>npm run sbom</code>); a development server does not make one.
          </p>
        ) : !data.facts ? (
          <p className="text-sm text-red-700" role="alert">
            The build&apos;s SBOM cannot be read: {data.problem}.
          </p>
        ) : (
          <>
            {data.matchesRunningVersion ? null : (
              <p className="text-sm text-red-700" role="alert">
                This SBOM describes {data.facts.name} {data.facts.version}, not the running version: it belongs to another build.
              </p>
            )}
            <dl className="grid grid-cols-1 gap-x-6 gap-y-2 text-sm sm:grid-cols-[max-content_1fr]">
              <dt className="font-medium text-slate-700">Describes</dt>
              <dd>
                {data.facts.name} {data.facts.version}
              </dd>
              <dt className="font-medium text-slate-700">Format</dt>
              <dd>CycloneDX {data.facts.specVersion} (JSON)</dd>
              <dt className="font-medium text-slate-700">Components</dt>
              <dd data-testid="sbom-components">{data.facts.componentCount}</dd>
              <dt className="font-medium text-slate-700">SHA-256</dt>
              <dd className="break-all font-mono text-xs" data-testid="sbom-sha256">
                {data.sha256}
              </dd>
              <dt className="font-medium text-slate-700">Written</dt>
              <dd>{utc(data.writtenAt)}</dd>
            </dl>
            <p>
              <a
                href="/settings/sbom/download"
                download
                className="inline-block rounded-md bg-slate-900 px-3 py-2 text-sm font-medium text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-slate-900 focus-visible:ring-offset-2"
              >
                Download the SBOM ({Math.ceil(data.bytes / 1024)} KiB)
              </a>
            </p>
          </>
        )}
      </section>
    </div>
  );
});
