import type { Metadata } from "next";
import { definePage } from "@/lib/pages/define-page";
import { hasRole } from "@/lib/actions/pipeline";
import { flagsForOrg, type FlagView } from "@/lib/flags/view";

export const metadata: Metadata = { title: "Feature flags" };

const utc = (d: Date) => `${d.toLocaleString("en-GB", { timeZone: "UTC", dateStyle: "medium", timeStyle: "short" })} UTC`;

const STATE_TEXT: Record<FlagView["stateHere"], string> = { on: "On", off: "Off", admins: "On for owners and admins" };

const STAGE_TEXT: Record<FlagView["stage"], string> = {
  off: "Off for everyone",
  admins: "Admins first: owners and admins of chosen organisations",
  orgs: "Chosen organisations: everyone in them",
  everyone: "Everyone",
};

function stageText(flag: FlagView): string {
  if (flag.orgListed === null) return STAGE_TEXT[flag.stage];
  return `${STAGE_TEXT[flag.stage]} (${flag.orgListed ? "this organisation is one of them" : "this organisation is not one of them"})`;
}

function sourceText(flag: FlagView): string {
  if (flag.source === "env") return `Environment (${flag.setBy})`;
  if (flag.source === "config") return "Configuration file (config/feature-flags.json)";
  return "Default";
}

/**
 * OPS-4: every flag, its state for this organisation, its rollout stage and where it was set, for owners and admins.
 * Members learn that the page is for admins (it is not hidden from them: the flags' existence is no secret, their
 * settings are the deployment's). Security flags that are off are shown as warnings first.
 */
export default definePage(
  {
    name: "flags.list",
    minimumRole: "member",
    read: async ({ tx, session }) => (hasRole(session, "admin") ? { flags: await flagsForOrg(tx, session.orgId!) } : { flags: null }),
  },
  function FlagsPage({ data }) {
    if (data.flags === null) {
      return (
        <div className="flex flex-col gap-4">
          <h1 className="text-2xl font-semibold">Feature flags</h1>
          <p role="status" className="rounded-md border border-slate-300 bg-slate-50 p-3 text-sm text-slate-700" data-testid="admins-only">
            Only owners and admins of this organisation can see its feature flags. Ask one of them if a feature you expect is missing.
          </p>
        </div>
      );
    }
    const off = data.flags.filter((f) => f.kind === "security" && f.stage === "off");
    return (
      <div className="flex flex-col gap-6">
        <div>
          <h1 className="text-2xl font-semibold">Feature flags</h1>
          <p className="text-sm text-slate-600">
            The deployment&apos;s flags and what they mean for this organisation. Security flags are on for everyone unless the operator switches one off; feature
            flags roll new capabilities out in stages, owners and admins first. Flags are set in the deployment&apos;s configuration, not here.
          </p>
        </div>
        {off.length > 0 ? (
          <div role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900" data-testid="security-flags-off">
            <p className="font-medium">
              {off.length === 1 ? "A security control is switched off" : `${off.length} security controls are switched off`} in this deployment:
            </p>
            <ul className="mt-1 list-disc pl-5">
              {off.map((f) => (
                <li key={f.name}>
                  <code>{f.name}</code> ({f.setBy}
                  {f.acknowledgedOff ? ", acknowledged by the operator" : ""}).{" "}
                  {f.recordedOffAt ? `Recorded in this organisation's audit log on ${utc(f.recordedOffAt)}.` : "Not yet recorded in this organisation's audit log."}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        <ul className="flex flex-col gap-3" aria-label="Feature flags">
          {data.flags.map((f) => (
            <li key={f.name} className="rounded-md border border-slate-200 bg-white p-4" data-testid={`flag-${f.name}`}>
              <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
                <h2 className="font-mono text-base font-medium">{f.name}</h2>
                <span className={f.kind === "security" ? "rounded bg-indigo-100 px-2 py-0.5 text-xs text-indigo-900" : "rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-800"}>
                  {f.kind === "security" ? "Security" : "Feature"}
                </span>
                <span className={f.stateHere === "off" && f.kind === "security" ? "font-medium text-red-800" : "text-slate-800"}>{STATE_TEXT[f.stateHere]} here</span>
              </div>
              <p className="mt-1 text-sm text-slate-700">{f.description}</p>
              <dl className="mt-2 grid grid-cols-1 gap-x-6 gap-y-1 text-sm sm:grid-cols-[max-content_1fr]">
                <dt className="text-slate-500">Rollout</dt>
                <dd>{stageText(f)}</dd>
                <dt className="text-slate-500">Set by</dt>
                <dd>{sourceText(f)}</dd>
                {f.cannotTurnOff ? (
                  <>
                    <dt className="text-slate-500">Cannot be turned off</dt>
                    <dd>{f.cannotTurnOff}</dd>
                  </>
                ) : null}
              </dl>
            </li>
          ))}
        </ul>
      </div>
    );
  },
);
