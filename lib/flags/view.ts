import "server-only";
import type { Queryable } from "@/lib/db";
import { env } from "@/lib/env";
import { flagStates } from "./index";
import type { ResolvedFlags, Stage } from "./parse";

export interface FlagView {
  name: string;
  kind: "security" | "feature";
  description: string;
  /** What this org gets: on, off, or on for its owners and admins only. */
  stateHere: "on" | "off" | "admins";
  stage: Stage;
  /** Whether this org is among the stage's listed orgs (other orgs' ids are never shown). */
  orgListed: boolean | null;
  source: "default" | "config" | "env";
  setBy: string;
  acknowledgedOff: boolean;
  cannotTurnOff: string | null;
  /** When this org's audit log recorded the flag's current off state (security flags). */
  recordedOffAt: Date | null;
}

/**
 * OPS-4: every flag as this org sees it, for its owners and admins (the flags page): its state here, its stage,
 * where it was set, and for a security flag that is off, when the org's audit log recorded it. A staged rollout's
 * list of organisations is reduced to whether this org is on it.
 */
export async function flagsForOrg(tx: Queryable, orgId: string, flags: ResolvedFlags = env.flags): Promise<FlagView[]> {
  const recorded = await tx.query<{ flag: string; state: string; recorded_at: Date }>("select flag, state, recorded_at from private.security_flag_states_of_org()");
  const offAt = new Map(recorded.filter((r) => r.state !== "on").map((r) => [r.flag, new Date(r.recorded_at)]));
  return flagStates({ orgId }, flags).map((f) => {
    const listed = "orgs" in f.rollout ? f.rollout.orgs.includes(orgId) : null;
    const stateHere = f.rollout.stage === "everyone" ? "on" : f.rollout.stage === "orgs" && listed ? "on" : f.rollout.stage === "admins" && listed ? "admins" : "off";
    return {
      name: f.name,
      kind: f.kind,
      description: f.description,
      stateHere,
      stage: f.rollout.stage,
      orgListed: listed,
      source: f.source,
      setBy: f.setBy,
      acknowledgedOff: f.acknowledgedOff,
      cannotTurnOff: f.cannotTurnOff ?? null,
      recordedOffAt: f.kind === "security" && f.rollout.stage === "off" ? (offAt.get(f.name) ?? null) : null,
    };
  });
}
