import { z } from "zod";
import { FLAG_DEFINITIONS, FLAG_NAMES, isFlagName, overrideVariable, SECURITY_FLAGS, type FlagKind, type FlagName } from "./definitions";

/**
 * OPS-4 / ENC-3: the flag file (`config/feature-flags.json`) and its environment overrides, parsed with Zod and
 * resolved once, by lib/env.ts, so that a bad flag configuration stops `next build` and start-up like any other.
 *
 * Rollout stages, from closed to open:
 *   off        nobody
 *   admins     owners and admins of the listed organisations
 *   orgs       everyone in the listed organisations (members, guests, their API keys)
 *   everyone   every organisation
 * Security flags are all-or-nothing (`everyone` or `off`): a control that holds for some organisations only is
 * not the control the product promises.
 *
 * Environment overrides, one variable per flag: FLAG_<NAME>=off | everyone | orgs:<org>,<org> | admins:<org>,<org>
 * (e.g. FLAG_URL_IMPORT=admins:org_2abc). ENABLE_VIRUS_SCAN=false is the older spelling of FLAG_VIRUS_SCAN=off.
 * In production a security flag that is off stops start-up unless FEATURE_FLAGS_ACKNOWLEDGE_OFF names it.
 */

export const STAGES = ["off", "admins", "orgs", "everyone"] as const;
export type Stage = (typeof STAGES)[number];

export type Rollout = { stage: "off" | "everyone" } | { stage: "admins" | "orgs"; orgs: string[] };

export type FlagSource = "default" | "config" | "env";

export interface FlagState {
  name: FlagName;
  kind: FlagKind;
  description: string;
  /** The product's default: `on` is the `everyone` stage. */
  default: "on" | "off";
  rollout: Rollout;
  /** default: the file's rollout is the default stage; config: the file stages it otherwise; env: an override. */
  source: FlagSource;
  /** The setting that decided it: `config/feature-flags.json`, or the variable (FLAG_CSRF, ENABLE_VIRUS_SCAN). */
  setBy: string;
  /** A security flag that is off and named in FEATURE_FLAGS_ACKNOWLEDGE_OFF. */
  acknowledgedOff: boolean;
  /** The reason configuration may not turn this security flag off. */
  cannotTurnOff?: string;
}

export type ResolvedFlags = Readonly<Record<FlagName, FlagState>>;

export const FLAG_FILE = "config/feature-flags.json";
export const ACKNOWLEDGE_VARIABLE = "FEATURE_FLAGS_ACKNOWLEDGE_OFF";

const orgId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, "an organisation id such as org_2abc (letters, digits, _ and -)");
const orgList = z.array(orgId).min(1, "list at least one organisation").max(500);

export const rolloutSchema = z.discriminatedUnion("stage", [
  z.strictObject({ stage: z.literal("off") }),
  z.strictObject({ stage: z.literal("everyone") }),
  z.strictObject({ stage: z.literal("admins"), orgs: orgList }),
  z.strictObject({ stage: z.literal("orgs"), orgs: orgList }),
]);

const flagEntry = z.strictObject({
  description: z.string().trim().min(10).max(500),
  kind: z.enum(["security", "feature"]),
  default: z.enum(["on", "off"]),
  rollout: rolloutSchema,
});

export const flagFileSchema = z.strictObject({
  $comment: z.string().optional(),
  flags: z.record(z.string(), flagEntry),
});

/** FLAG_<NAME>'s value: `off`, `everyone`, `orgs:<org>,...` or `admins:<org>,...`. */
export const overrideSchema = z
  .string()
  .trim()
  .regex(/^(off|everyone|(orgs|admins):[^,\s]+(,[^,\s]+)*)$/, "off, everyone, orgs:<org>,<org> or admins:<org>,<org>")
  .transform((value): unknown => {
    const [stage, list] = value.split(":") as [string, string | undefined];
    return list === undefined ? { stage } : { stage, orgs: list.split(",") };
  })
  .pipe(rolloutSchema);

const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`).join("; ");

function describeRollout(rollout: Rollout): string {
  return "orgs" in rollout ? `${rollout.stage}:${rollout.orgs.join(",")}` : rollout.stage;
}

export { describeRollout };

function sameRollout(a: Rollout, b: Rollout): boolean {
  return describeRollout(a) === describeRollout(b);
}

const defaultRollout = (d: "on" | "off"): Rollout => ({ stage: d === "on" ? "everyone" : "off" });

/**
 * Resolves every flag from the file and the environment. Problems (each a sentence naming the flag and the
 * setting) refuse start-up; lib/env.ts adds them to its own. Never throws.
 */
export function resolveFlags(
  file: unknown,
  source: Record<string, string | undefined>,
  options: { production: boolean },
): { flags: ResolvedFlags | null; problems: string[] } {
  const problems: string[] = [];
  const parsed = flagFileSchema.safeParse(file);
  if (!parsed.success) return { flags: null, problems: [`OPS-4: ${FLAG_FILE} is not valid: ${issues(parsed.error)}.`] };
  const entries = parsed.data.flags;

  for (const name of Object.keys(entries)) {
    if (!isFlagName(name)) problems.push(`OPS-4: ${FLAG_FILE} names an unknown flag "${name}" (known: ${FLAG_NAMES.join(", ")}).`);
  }
  for (const name of FLAG_NAMES) {
    if (!entries[name]) problems.push(`OPS-4: ${FLAG_FILE} does not describe the flag "${name}"; every flag has its entry.`);
  }
  const known = new Set(FLAG_NAMES.map(overrideVariable));
  for (const variable of Object.keys(source)) {
    if (variable.startsWith("FLAG_") && !known.has(variable) && source[variable] !== undefined) {
      problems.push(`OPS-4: ${variable} overrides an unknown flag (known: ${FLAG_NAMES.map(overrideVariable).join(", ")}).`);
    }
  }

  const acknowledged = (source[ACKNOWLEDGE_VARIABLE] ?? "").split(",").map((n) => n.trim()).filter(Boolean);
  for (const name of acknowledged) {
    if (!isFlagName(name) || FLAG_DEFINITIONS[name].kind !== "security") {
      problems.push(`OPS-4: ${ACKNOWLEDGE_VARIABLE} names "${name}", which is not a security flag (security flags: ${SECURITY_FLAGS.join(", ")}).`);
    }
  }

  const flags = {} as Record<FlagName, FlagState>;
  for (const name of FLAG_NAMES) {
    const entry = entries[name];
    if (!entry) continue;
    const definition = FLAG_DEFINITIONS[name] as { kind: FlagKind; cannotTurnOff?: string };
    if (entry.kind !== definition.kind) {
      problems.push(`OPS-4: ${FLAG_FILE} calls "${name}" a ${entry.kind} flag; it is a ${definition.kind} flag.`);
    }
    if (definition.kind === "security" && entry.default !== "on") {
      problems.push(`OPS-4: ${FLAG_FILE} gives the security flag "${name}" the default "${entry.default}"; security flags default on.`);
    }

    let rollout: Rollout = entry.rollout;
    let source_: FlagSource = sameRollout(rollout, defaultRollout(entry.default)) ? "default" : "config";
    let setBy = FLAG_FILE;
    const variable = overrideVariable(name);
    const raw = source[variable];
    if (raw !== undefined && raw.trim() !== "") {
      const override = overrideSchema.safeParse(raw);
      if (!override.success) {
        problems.push(`OPS-4: ${variable}="${raw.slice(0, 80)}" is not a rollout: ${issues(override.error)}.`);
      } else {
        rollout = override.data;
        source_ = "env";
        setBy = variable;
      }
    }
    // FILE-2: the older switch for the scanner is the same flag; two settings that disagree are refused.
    if (name === "virus_scan" && ["false", "0"].includes((source.ENABLE_VIRUS_SCAN ?? "").trim())) {
      if (source_ === "env" && rollout.stage !== "off") {
        problems.push(`OPS-4: ENABLE_VIRUS_SCAN=false and ${variable}=${describeRollout(rollout)} disagree; set one of them.`);
      } else if (source_ !== "env") {
        rollout = { stage: "off" };
        source_ = "env";
        setBy = "ENABLE_VIRUS_SCAN";
      }
    }

    if (definition.kind === "security" && rollout.stage !== "off" && rollout.stage !== "everyone") {
      problems.push(
        `OPS-4: the security flag "${name}" is set to ${describeRollout(rollout)} (${setBy}); a security flag is on for everyone or off, never staged by organisation.`,
      );
    }
    const off = rollout.stage === "off";
    if (definition.kind === "security" && off && definition.cannotTurnOff) {
      problems.push(`OPS-4: the security flag "${name}" cannot be turned off (${setBy}): ${definition.cannotTurnOff}`);
    }
    const isAcknowledged = acknowledged.includes(name);
    if (definition.kind === "security" && isAcknowledged && !off) {
      problems.push(`OPS-4: ${ACKNOWLEDGE_VARIABLE} names "${name}", which is on; remove it, so that a later switch-off is not acknowledged in advance.`);
    }
    if (definition.kind === "security" && off && options.production && !isAcknowledged) {
      problems.push(
        `OPS-4: the security flag "${name}" is off (${setBy}) and NODE_ENV is production. Turn it back on, or acknowledge it with ${ACKNOWLEDGE_VARIABLE}=${name}; running with it off is then recorded as a high-severity entry in every organisation's audit log.`,
      );
    }
    flags[name] = {
      name,
      kind: definition.kind,
      description: entry.description,
      default: entry.default,
      rollout,
      source: source_,
      setBy,
      acknowledgedOff: definition.kind === "security" && off && isAcknowledged,
      ...(definition.cannotTurnOff ? { cannotTurnOff: definition.cannotTurnOff } : {}),
    };
  }
  if (problems.length > 0) return { flags: null, problems };
  return { flags, problems };
}

/** The security flags that are off, in definition order. */
export function securityFlagsOff(flags: ResolvedFlags): FlagState[] {
  return SECURITY_FLAGS.map((name) => flags[name]).filter((f) => f.rollout.stage === "off");
}

export interface RolloutContext {
  orgId?: string | null;
  role?: string | null;
}

/** Whether a rollout reaches this caller. Pure. `admins` reaches owners and admins only (never an API key). */
export function rolloutIncludes(rollout: Rollout, context: RolloutContext = {}): boolean {
  switch (rollout.stage) {
    case "off":
      return false;
    case "everyone":
      return true;
    case "orgs":
      return context.orgId != null && rollout.orgs.includes(context.orgId);
    case "admins":
      return context.orgId != null && rollout.orgs.includes(context.orgId) && (context.role === "owner" || context.role === "admin");
  }
}
