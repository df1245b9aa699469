/**
 * OPS-4: the flags the product knows. `config/feature-flags.json` describes exactly these (with their rollout) and
 * environment overrides may name only these: any other name stops start-up. Free of imports so that lib/env.ts,
 * the edge and the UI can all read it.
 *
 * `kind` is decided here, not in the file: a security flag cannot be relabelled a feature flag by configuration.
 * `cannotTurnOff` marks a security control whose off state could not be honest: configuration that turns it off is
 * refused, in every environment, with the reason.
 */
export type FlagKind = "security" | "feature";

export interface FlagDefinition {
  kind: FlagKind;
  /** The control the flag switches (a security flag) or the capability it gates (a feature flag). */
  control: string;
  cannotTurnOff?: string;
}

export const FLAG_DEFINITIONS = {
  virus_scan: { kind: "security", control: "FILE-2" },
  quarantine: { kind: "security", control: "FILE-2" },
  csrf: { kind: "security", control: "HDR-4" },
  rate_limits: { kind: "security", control: "RL-1" },
  audit_hash_chain: {
    kind: "security",
    control: "AUD-2",
    cannotTurnOff:
      "the database requires a hash and a previous hash on every audit entry, the verifier and the signed checkpoints (AUD-5) read an unchained entry as tampering, and retention keeps the chain verifiable: an audit log without its chain would only look broken.",
  },
  mfa_enforcement: {
    kind: "security",
    control: "IDN-5",
    cannotTurnOff:
      "an organisation's two-step rule is enforced by restrictive row-level security policies through private.second_factor_ok as well as by the app; switching off only the app's check would leave the database refusing the same writes, and a switch the app's database role could flip would remove the database's half of the control.",
  },
  url_import: { kind: "feature", control: "SSRF-1" },
  graphql: { kind: "feature", control: "GQL-1" },
} as const satisfies Record<string, FlagDefinition>;

export type FlagName = keyof typeof FLAG_DEFINITIONS;

export const FLAG_NAMES = Object.keys(FLAG_DEFINITIONS) as FlagName[];

export const SECURITY_FLAGS = FLAG_NAMES.filter((name) => FLAG_DEFINITIONS[name].kind === "security");

export function isFlagName(name: string): name is FlagName {
  return Object.hasOwn(FLAG_DEFINITIONS, name);
}

export function definitionOf(name: FlagName): FlagDefinition {
  return FLAG_DEFINITIONS[name];
}

/** The environment variable that overrides a flag's rollout: FLAG_<NAME>, e.g. FLAG_URL_IMPORT. */
export function overrideVariable(name: FlagName): string {
  return `FLAG_${name.toUpperCase()}`;
}
