import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ConfigurationError, parseEnv } from "@/lib/env";
import { FLAG_NAMES, SECURITY_FLAGS, describeRollout, flagStates, isEnabled, overrideVariable, resolveFlags, rolloutIncludes, type Rollout } from "@/lib/flags";
import { overrideSchema } from "@/lib/flags/parse";
import flagFile from "@/config/feature-flags.json";
import { PRODUCTION_ENV } from "../helpers/production-env";

// OPS-4 / ENC-3: the flag file and its environment overrides, resolved by the same validation that stops start-up.

const file = () => structuredClone(flagFile) as { flags: Record<string, Record<string, unknown>> };
const refusal = (source: Record<string, string | undefined>, options?: { flagFile?: unknown }) => {
  try {
    parseEnv(source, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error("expected the configuration to be refused");
};

describe("OPS-4: the flag file", () => {
  it("describes every known flag; every security flag defaults on and is on, from its default", () => {
    const flags = parseEnv({}).flags;
    expect(Object.keys(flagFile.flags).sort()).toEqual([...FLAG_NAMES].sort());
    for (const name of SECURITY_FLAGS) {
      expect(flags[name]).toMatchObject({ kind: "security", default: "on", rollout: { stage: "everyone" }, source: "default", acknowledgedOff: false });
      expect(isEnabled(name, {}, flags)).toBe(true);
    }
    expect(SECURITY_FLAGS).toEqual(["virus_scan", "quarantine", "csrf", "rate_limits", "audit_hash_chain", "mfa_enforcement"]);
  });

  it.each([
    ["an unknown flag in the file", (f: ReturnType<typeof file>) => void (f.flags.dark_mode = { ...f.flags.graphql }), 'unknown flag "dark_mode"'],
    ["a flag missing from the file", (f: ReturnType<typeof file>) => void delete f.flags.graphql, 'does not describe the flag "graphql"'],
    ["a security flag relabelled a feature", (f: ReturnType<typeof file>) => void (f.flags.csrf!.kind = "feature"), 'calls "csrf" a feature flag'],
    ["a security flag defaulting off", (f: ReturnType<typeof file>) => void (f.flags.rate_limits!.default = "off"), "security flags default on"],
    ["a security flag staged by organisation", (f: ReturnType<typeof file>) => void (f.flags.quarantine!.rollout = { stage: "orgs", orgs: ["org_a"] }), "never staged by organisation"],
    ["an unknown stage", (f: ReturnType<typeof file>) => void (f.flags.graphql!.rollout = { stage: "beta" }), "config/feature-flags.json is not valid"],
    ["a staged rollout without organisations", (f: ReturnType<typeof file>) => void (f.flags.graphql!.rollout = { stage: "admins", orgs: [] }), "list at least one organisation"],
  ])("refuses start-up for %s", (_what, edit, message) => {
    const f = file();
    edit(f);
    expect(refusal({}, { flagFile: f })).toContain(message);
  });

  it("a feature flag staged in the file is sourced from config", () => {
    const f = file();
    f.flags.url_import!.rollout = { stage: "admins", orgs: ["org_pilot"] };
    const flags = parseEnv({}, { flagFile: f }).flags;
    expect(flags.url_import).toMatchObject({ source: "config", setBy: "config/feature-flags.json", rollout: { stage: "admins", orgs: ["org_pilot"] } });
  });
});

describe("OPS-4: environment overrides (FLAG_<NAME>)", () => {
  it.each([
    ["off", { stage: "off" }],
    ["everyone", { stage: "everyone" }],
    ["orgs:org_a,org_b", { stage: "orgs", orgs: ["org_a", "org_b"] }],
    ["admins:org_a", { stage: "admins", orgs: ["org_a"] }],
    [" admins:org_a ", { stage: "admins", orgs: ["org_a"] }],
  ])("FLAG_GRAPHQL=%j is the rollout %j, sourced from env", (value, rollout) => {
    expect(parseEnv({ FLAG_GRAPHQL: value }).flags.graphql).toMatchObject({ rollout, source: "env", setBy: "FLAG_GRAPHQL" });
  });

  it.each(["on", "true", "orgs:", "admins", "orgs:org a", "admins:org_a,,org_b", "orgs:org_a;drop", "everyone:org_a"])("refuses FLAG_GRAPHQL=%j", (value) => {
    expect(refusal({ FLAG_GRAPHQL: value })).toContain("FLAG_GRAPHQL=");
  });

  it("refuses an override of an unknown flag", () => {
    expect(refusal({ FLAG_DARK_MODE: "everyone" })).toContain("FLAG_DARK_MODE overrides an unknown flag");
  });

  it("ENABLE_VIRUS_SCAN=false is the virus_scan flag off; disagreeing with FLAG_VIRUS_SCAN is refused", () => {
    expect(parseEnv({ ENABLE_VIRUS_SCAN: "false" }).flags.virus_scan).toMatchObject({ rollout: { stage: "off" }, source: "env", setBy: "ENABLE_VIRUS_SCAN" });
    expect(refusal({ ENABLE_VIRUS_SCAN: "false", FLAG_VIRUS_SCAN: "everyone" })).toContain("disagree");
    expect(parseEnv({ ENABLE_VIRUS_SCAN: "false", FLAG_VIRUS_SCAN: "off" }).flags.virus_scan.setBy).toBe("FLAG_VIRUS_SCAN");
  });

  it.each(["audit_hash_chain", "mfa_enforcement"] as const)("%s cannot be turned off, in any environment, and the refusal says why", (name) => {
    const message = refusal({ [overrideVariable(name)]: "off" });
    expect(message).toContain(`the security flag "${name}" cannot be turned off`);
    expect(message).toMatch(/row-level security|verifier/);
  });

  it("a security flag may be off outside production, and the start-up warnings say so", async () => {
    const { startupWarnings } = await import("@/lib/env");
    const parsed = parseEnv({ FLAG_CSRF: "off" });
    expect(isEnabled("csrf", {}, parsed.flags)).toBe(false);
    expect(startupWarnings(parsed)).toEqual([expect.stringContaining('the security flag "csrf" is off (FLAG_CSRF)')]);
  });
});

describe("OPS-4: a security flag switched off in production", () => {
  it.each(["virus_scan", "quarantine", "csrf", "rate_limits"] as const)("%s off without acknowledgement -> start-up refused, naming the flag and the acknowledgement", (name) => {
    const message = refusal({ ...PRODUCTION_ENV, [overrideVariable(name)]: "off" });
    expect(message).toContain(`the security flag "${name}" is off (${overrideVariable(name)}) and NODE_ENV is production`);
    expect(message).toContain(`FEATURE_FLAGS_ACKNOWLEDGE_OFF=${name}`);
  });

  it("off in the file itself is refused the same way", () => {
    const f = file();
    f.flags.rate_limits!.rollout = { stage: "off" };
    expect(refusal({ ...PRODUCTION_ENV }, { flagFile: f })).toContain('the security flag "rate_limits" is off (config/feature-flags.json)');
  });

  it("acknowledged: starts, and the flag says it is acknowledged", () => {
    const parsed = parseEnv({ ...PRODUCTION_ENV, FLAG_CSRF: "off", FEATURE_FLAGS_ACKNOWLEDGE_OFF: "csrf" });
    expect(parsed.flags.csrf).toMatchObject({ rollout: { stage: "off" }, acknowledgedOff: true });
    expect(parsed.flags.virus_scan.acknowledgedOff).toBe(false);
  });

  it("an acknowledgement of a flag that is on, or of something that is not a security flag, is refused", () => {
    expect(refusal({ ...PRODUCTION_ENV, FEATURE_FLAGS_ACKNOWLEDGE_OFF: "csrf" })).toContain('names "csrf", which is on');
    expect(refusal({ ...PRODUCTION_ENV, FEATURE_FLAGS_ACKNOWLEDGE_OFF: "graphql" })).toContain('"graphql", which is not a security flag');
  });

  it("a feature flag off in production needs no acknowledgement", () => {
    expect(parseEnv({ ...PRODUCTION_ENV, FLAG_GRAPHQL: "off" }).flags.graphql.rollout).toEqual({ stage: "off" });
  });

  it("the real start-up (next.config.ts, which imports lib/env.ts) refuses, with a clear message, and exits non-zero", async () => {
    const run = promisify(execFile);
    const environment: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...PRODUCTION_ENV, NODE_ENV: "production", FLAG_VIRUS_SCAN: "off" };
    const failed = await run("node_modules/.bin/tsx", ["-e", `import("./next.config.ts").then(() => {}, (e) => { console.error(String(e && e.message)); process.exit(1); })`], { env: environment, cwd: process.cwd() }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).not.toBeNull();
    expect(failed!.code).not.toBe(0);
    expect(failed!.stderr).toContain("Refusing to start: unsafe or invalid configuration.");
    expect(failed!.stderr).toContain('the security flag "virus_scan" is off (FLAG_VIRUS_SCAN) and NODE_ENV is production');
    // Acknowledged, the same start-up goes through.
    const ok = await run("node_modules/.bin/tsx", ["-e", `import("./next.config.ts").then(() => console.log("configuration accepted"))`], {
      env: { ...environment, FEATURE_FLAGS_ACKNOWLEDGE_OFF: "virus_scan" },
      cwd: process.cwd(),
    });
    expect(ok.stdout).toContain("configuration accepted");
  }, 60_000);
});

describe("OPS-4: staged rollout", () => {
  const flags = (graphql: string) => parseEnv({ FLAG_GRAPHQL: graphql }).flags;

  it.each([
    ["off", { orgId: "org_a", role: "owner" }, false],
    ["everyone", {}, true],
    ["everyone", { orgId: "org_z", role: "member" }, true],
    ["orgs:org_a", { orgId: "org_a", role: "member" }, true],
    ["orgs:org_a", { orgId: "org_a", role: "api" }, true],
    ["orgs:org_a", { orgId: "org_b", role: "owner" }, false],
    ["orgs:org_a", {}, false],
    ["admins:org_a", { orgId: "org_a", role: "owner" }, true],
    ["admins:org_a", { orgId: "org_a", role: "admin" }, true],
    ["admins:org_a", { orgId: "org_a", role: "member" }, false],
    ["admins:org_a", { orgId: "org_a", role: "api" }, false],
    ["admins:org_a", { orgId: "org_b", role: "admin" }, false],
  ])("FLAG_GRAPHQL=%s reaches %j: %s", (value, context, expected) => {
    expect(isEnabled("graphql", context, flags(value))).toBe(expected);
    expect(flagStates(context, flags(value)).find((f) => f.name === "graphql")!.enabledHere).toBe(expected);
  });

  const orgIds = fc.stringMatching(/^org_[a-z0-9]{1,6}$/);
  const roles = fc.constantFrom("owner", "admin", "member", "guest", "api", null);

  it("each stage reaches a subset of the next one: off ⊆ admins ⊆ orgs ⊆ everyone (property)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(orgIds, { minLength: 1, maxLength: 5 }), fc.option(orgIds, { nil: null }), roles, (orgs, orgId, role) => {
        const context = { orgId, role };
        const reach = (["off", "admins", "orgs", "everyone"] as const).map((stage) =>
          rolloutIncludes((stage === "off" || stage === "everyone" ? { stage } : { stage, orgs }) as Rollout, context),
        );
        for (let i = 1; i < reach.length; i++) if (reach[i - 1]) expect(reach[i]).toBe(true);
        expect(reach[0]).toBe(false);
        expect(reach[3]).toBe(true);
        // Staged stages reach only listed orgs.
        if (orgId === null || !orgs.includes(orgId)) expect(reach[1] || reach[2]).toBe(false);
      }),
    );
  });

  it("an override's value and its parsed rollout describe each other (property)", () => {
    fc.assert(
      fc.property(fc.constantFrom("admins", "orgs"), fc.array(orgIds, { minLength: 1, maxLength: 4 }), (stage, orgs) => {
        const value = `${stage}:${orgs.join(",")}`;
        expect(describeRollout(overrideSchema.parse(value))).toBe(value);
      }),
    );
  });

  it("resolveFlags never throws on arbitrary JSON: it answers with problems (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = resolveFlags(value, {}, { production: false });
        expect(result.flags === null ? result.problems.length > 0 : result.problems.length === 0).toBe(true);
      }),
    );
  });
});

describe("OPS-4: the feature-flags live check", () => {
  it("passes with every security flag on, fails while one is off unacknowledged, warns while every off one is acknowledged; reports every flag, never an org id", async () => {
    const { checkFeatureFlags } = await import("@/lib/flags/live-check");
    const on = checkFeatureFlags(parseEnv({ FLAG_URL_IMPORT: "admins:org_pilot_secret" }).flags);
    expect(on.status).toBe("pass");
    for (const name of FLAG_NAMES) expect(on.detail).toContain(`${name}=`);
    expect(on.detail).toContain("url_import=admins (1 org) [feature, FLAG_URL_IMPORT]");
    expect(on.detail).not.toContain("org_pilot_secret");

    const off = checkFeatureFlags(parseEnv({ FLAG_CSRF: "off" }).flags);
    expect(off).toMatchObject({ status: "fail", detail: expect.stringContaining("Security flags off without acknowledgement: csrf.") });

    const acknowledged = checkFeatureFlags(parseEnv({ ...PRODUCTION_ENV, FLAG_CSRF: "off", FEATURE_FLAGS_ACKNOWLEDGE_OFF: "csrf" }).flags);
    expect(acknowledged).toMatchObject({ status: "warn", detail: expect.stringContaining("acknowledged by the operator (FEATURE_FLAGS_ACKNOWLEDGE_OFF): csrf.") });
  });
});
