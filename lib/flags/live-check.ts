import { env } from "@/lib/env";
import type { CheckResult } from "@/lib/controls/live-checks";
import { FLAG_NAMES } from "./definitions";
import { securityFlagsOff, type FlagState, type ResolvedFlags } from "./parse";

function describe(flag: FlagState): string {
  const stage = "orgs" in flag.rollout ? `${flag.rollout.stage} (${flag.rollout.orgs.length} org${flag.rollout.orgs.length === 1 ? "" : "s"})` : flag.rollout.stage;
  return `${flag.name}=${stage} [${flag.kind}, ${flag.source === "default" ? "default" : flag.setBy}]`;
}

/**
 * OPS-4: every flag's state, and whether a security control is switched off: fail when one is off without an
 * acknowledgement (possible outside production only: production refuses to start so), warn when every off one is
 * acknowledged (FEATURE_FLAGS_ACKNOWLEDGE_OFF), pass when all are on. Rollouts are counted, never listed (org ids).
 */
export function checkFeatureFlags(flags: ResolvedFlags = env.flags): CheckResult {
  const states = FLAG_NAMES.map((name) => describe(flags[name])).join("; ");
  const off = securityFlagsOff(flags);
  if (off.length === 0) return { status: "pass", detail: `Every security flag is on. Flags: ${states}.` };
  const unacknowledged = off.filter((f) => !f.acknowledgedOff);
  const names = (list: FlagState[]) => list.map((f) => f.name).join(", ");
  if (unacknowledged.length > 0) {
    return { status: "fail", detail: `Security flags off without acknowledgement: ${names(unacknowledged)}. Flags: ${states}.` };
  }
  return { status: "warn", detail: `Security flags off, acknowledged by the operator (FEATURE_FLAGS_ACKNOWLEDGE_OFF): ${names(off)}. Flags: ${states}.` };
}
