import { OSCAL_VERSION, uuidV5 } from "./format";
import type { EvidenceState } from "./render";

/**
 * OPS-3: the pack's OSCAL 1.1 assessment-results document: one result (the live checks at the state's time), one
 * observation per live check (method TEST, its status and output, its population in populations.json) and one
 * finding per control a check watches (not-satisfied when any of its checks fails; satisfied otherwise, with the
 * result as the reason). Every UUID is a version-5 UUID of the content it names, so the same state gives the same
 * document.
 */
export function assessmentResults(state: EvidenceState, contentHash: string): Record<string, unknown> {
  const when = state.asOf ?? "1970-01-01T00:00:00.000Z";
  const observationUuid = (checkId: string) => uuidV5(`observation:${state.orgId}:${contentHash}:${checkId}`);
  const observations = state.checks.map((c) => ({
    uuid: observationUuid(c.id),
    title: c.title,
    description: c.detail,
    props: [
      { name: "check-id", ns: "https://tenantguard.dev/ns/evidence", value: c.id },
      { name: "result", ns: "https://tenantguard.dev/ns/evidence", value: c.status },
    ],
    methods: ["TEST"],
    "relevant-evidence": [{ href: `../populations.json#${c.id}`, description: `The population the ${c.id} check decided on (queries, row counts, hashes).` }],
    collected: when,
  }));
  const findings = state.controls
    .filter((c) => c.checks.length > 0)
    .map((c) => ({
      uuid: uuidV5(`finding:${state.orgId}:${contentHash}:${c.id}`),
      title: `${c.id} ${c.title}`,
      description: `Live result ${c.result} from ${c.checks.join(", ")}; registry status ${c.registry_status}.`,
      target: {
        type: "objective-id",
        "target-id": `${c.id.toLowerCase()}_obj`,
        status: { state: c.result === "fail" ? "not-satisfied" : "satisfied", reason: c.result.replace(/_/g, "-") },
      },
      "related-observations": c.checks.map((id) => ({ "observation-uuid": observationUuid(id) })),
    }));
  return {
    "assessment-results": {
      uuid: uuidV5(`assessment-results:${state.orgId}:${contentHash}`),
      metadata: {
        title: `TenantGuard live control checks for ${state.orgId}`,
        "last-modified": when,
        version: state.appVersion,
        "oscal-version": OSCAL_VERSION,
      },
      "import-ap": { href: "../controls.json" },
      results: [
        {
          uuid: uuidV5(`result:${state.orgId}:${contentHash}`),
          title: "Live control checks",
          description: `Every live check of the controls registry, run against the running system for ${state.orgId}${state.asOf ? ` at the state of ${state.asOf}` : ""}.`,
          start: when,
          end: when,
          "reviewed-controls": { "control-selections": [{ "include-controls": state.controls.map((c) => ({ "control-id": c.id.toLowerCase() })) }] },
          observations,
          findings,
        },
      ],
    },
  };
}
