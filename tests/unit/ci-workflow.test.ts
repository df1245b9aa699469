import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";

/**
 * OPS-1 / OPS-5: the hosted workflow cannot run on this machine, so its shape is checked here: it parses, runs on
 * every push and pull request, is a thin wrapper around `.ci/run` on Node 20 within 20 minutes, and pins every
 * action to a commit. Dependabot covers npm and the workflow's actions.
 */
const ROOT = process.cwd();
const read = (file: string) => parse(readFileSync(path.join(ROOT, file), "utf8")) as Record<string, unknown>;

interface Step {
  uses?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Job {
  "runs-on"?: string;
  "timeout-minutes"?: number;
  container?: string | { image?: string };
  env?: Record<string, string>;
  steps?: Step[];
}

const workflow = read(".github/workflows/ci.yml");
const jobs = Object.values((workflow.jobs ?? {}) as Record<string, Job>);
const steps = jobs.flatMap((j) => j.steps ?? []);

describe("CI workflow (OPS-1)", () => {
  it("runs on every push and every pull request", () => {
    const on = workflow.on as Record<string, unknown> | string[];
    const triggers = Array.isArray(on) ? on : Object.keys(on ?? {});
    expect(triggers).toEqual(expect.arrayContaining(["push", "pull_request"]));
    // No branch or path filter narrows either trigger.
    if (!Array.isArray(on)) {
      for (const t of ["push", "pull_request"]) {
        const filters = (on[t] ?? {}) as Record<string, unknown>;
        expect(Object.keys(filters).filter((k) => /branches|paths|tags/.test(k)), `${t} has no filter`).toEqual([]);
      }
    }
  });

  it("calls .ci/run, the one definition of the gate, and nothing else that tests or lints", () => {
    const runs = steps.map((s) => s.run ?? "").filter(Boolean);
    expect(runs.some((r) => /^\s*bash \.ci\/run\s*$/m.test(r))).toBe(true);
    for (const r of runs) expect(r, "the workflow does not duplicate the gate's steps").not.toMatch(/\bnpm (test|run (lint|typecheck|test:e2e|build))\b|\bvitest\b|\beslint\b|\btsc\b/);
  });

  it("runs on Node 20", () => {
    const images = jobs.map((j) => (typeof j.container === "string" ? j.container : j.container?.image ?? ""));
    const setupNode = steps.filter((s) => s.uses?.startsWith("actions/setup-node@"));
    const node20 = images.some((i) => /^node:20([.-]|$)/.test(i)) || setupNode.some((s) => /^20(\.|$)/.test(String((s as { with?: Record<string, unknown> }).with?.["node-version"])));
    expect(node20).toBe(true);
    for (const i of images) expect(i).not.toMatch(/:latest$|^node$/);
  });

  it("every job has a timeout of at most 20 minutes", () => {
    expect(jobs.length).toBeGreaterThan(0);
    for (const j of jobs) {
      expect(j["timeout-minutes"]).toBeTypeOf("number");
      expect(j["timeout-minutes"]!).toBeLessThanOrEqual(20);
    }
  });

  it("every action is pinned to a full commit SHA", () => {
    const uses = steps.map((s) => s.uses).filter((u): u is string => Boolean(u));
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
  });

  it("runs the dependency audit where the advisory service is reachable, and makes 'could not run' fatal there (OPS-2)", () => {
    expect(steps.some((s) => /node scripts\/audit-deps\.mjs|npm run audit:deps/.test(s.run ?? ""))).toBe(true);
    const callsGate = (s: Step) => /^\s*bash \.ci\/run\s*$/m.test(s.run ?? "");
    const gateJob = jobs.find((j) => (j.steps ?? []).some(callsGate))!;
    const gateStep = gateJob.steps!.find(callsGate)!;
    expect({ ...gateJob.env, ...gateStep.env }.AUDIT_REQUIRED).toBe("1");
  });

  it("reads the repository only", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
  });
});

describe("dependency update automation (OPS-5)", () => {
  it("Dependabot proposes updates for npm packages and for the workflow's actions", () => {
    const config = read(".github/dependabot.yml") as { version?: number; updates?: { "package-ecosystem": string; directory: string; schedule?: { interval?: string } }[] };
    expect(config.version).toBe(2);
    const ecosystems = (config.updates ?? []).map((u) => u["package-ecosystem"]);
    expect(ecosystems).toEqual(expect.arrayContaining(["npm", "github-actions"]));
    for (const u of config.updates ?? []) {
      expect(u.directory).toBe("/");
      expect(["daily", "weekly", "monthly"]).toContain(u.schedule?.interval);
    }
  });
});
