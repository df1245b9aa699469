import { env } from "@/lib/env";
import { FLAG_NAMES, type FlagName } from "./definitions";
import { rolloutIncludes, type FlagState, type ResolvedFlags, type RolloutContext } from "./parse";

/**
 * OPS-4: the one question code asks of a flag. Pure: it reads the flags lib/env.ts resolved at start (no database,
 * no network), so the edge, route handlers and jobs can all ask it. A security flag is on or off for everyone; a
 * feature flag follows its staged rollout for the caller's organisation and role.
 */
export function isEnabled(flag: FlagName, context: RolloutContext = {}, flags: ResolvedFlags = env.flags): boolean {
  return rolloutIncludes(flags[flag].rollout, context);
}

/** Every flag as it stands, for the flags page and the live check, with whether it reaches this caller. */
export function flagStates(context: RolloutContext = {}, flags: ResolvedFlags = env.flags): (FlagState & { enabledHere: boolean })[] {
  return FLAG_NAMES.map((name) => ({ ...flags[name], enabledHere: rolloutIncludes(flags[name].rollout, context) }));
}

export { FLAG_DEFINITIONS, FLAG_NAMES, SECURITY_FLAGS, isFlagName, overrideVariable, type FlagKind, type FlagName } from "./definitions";
export {
  ACKNOWLEDGE_VARIABLE,
  FLAG_FILE,
  STAGES,
  describeRollout,
  resolveFlags,
  rolloutIncludes,
  securityFlagsOff,
  type FlagSource,
  type FlagState,
  type ResolvedFlags,
  type Rollout,
  type RolloutContext,
  type Stage,
} from "./parse";
