import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * OPS-2: scripts/audit-deps.mjs decides on what `npm audit` answered. The real script runs with a stand-in `npm`
 * first on PATH that prints a recorded `npm audit --json` output (tests/fixtures/npm-audit) and exits as npm did.
 */
const ROOT = process.cwd();
const FIXTURES = path.join(ROOT, "tests/fixtures/npm-audit");
const bin = mkdtempSync(path.join(tmpdir(), "tg-fake-npm-"));
const argsFile = path.join(bin, "args");
writeFileSync(path.join(bin, "npm"), `#!/bin/sh\nprintf '%s\\n' "$@" > "${argsFile}"\ncat "$FAKE_NPM_REPORT"\nexit "$FAKE_NPM_STATUS"\n`);
chmodSync(path.join(bin, "npm"), 0o755);
afterAll(() => rmSync(bin, { recursive: true, force: true }));

function audit(fixture: string, npmStatus: number) {
  const run = spawnSync(process.execPath, [path.join(ROOT, "scripts/audit-deps.mjs")], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, FAKE_NPM_REPORT: path.join(FIXTURES, fixture), FAKE_NPM_STATUS: String(npmStatus) },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe("dependency audit (OPS-2)", () => {
  it("audits production dependencies only, at the high level, as JSON", () => {
    audit("clean.json", 0);
    expect(readFileSync(argsFile, "utf8").trim().split("\n")).toEqual(["audit", "--omit=dev", "--audit-level=high", "--json"]);
  });

  it("a high advisory fails the audit and names the package", () => {
    const { status, output } = audit("high-advisory.json", 1);
    expect(status).toBe(1);
    expect(output).toMatch(/dependency audit failed/);
    expect(output).toMatch(/path-to-regexp \(high/);
    expect(output).toMatch(/GHSA-9wv6-86v2-598j/);
    // Low advisories are counted, not listed as blocking.
    expect(output).not.toMatch(/^\s+cookie \(low/m);
  });

  it("a high advisory fails even when npm's own exit status says success", () => {
    expect(audit("high-advisory.json", 0).status).toBe(1);
  });

  it("only low advisories pass, with the counts", () => {
    const { status, output } = audit("low-advisory.json", 0);
    expect(status).toBe(0);
    expect(output).toMatch(/dependency audit passed: .*0 critical, 0 high, 0 moderate, 1 low/);
  });

  it("no advisories pass", () => {
    expect(audit("clean.json", 0).status).toBe(0);
  });

  it("the advisory endpoint answering 405 is 'could not run', a status of its own, never a pass", () => {
    const { status, output } = audit("endpoint-405.json", 1);
    expect(status).toBe(3);
    expect(output).toMatch(/^dependency audit could not run: HTTP 405, 405 Method Not Allowed/m);
    expect(output).not.toMatch(/passed/);
  });

  it("an unreachable registry is 'could not run', with npm's reason", () => {
    const { status, output } = audit("network-unreachable.json", 1);
    expect(status).toBe(3);
    expect(output).toMatch(/dependency audit could not run: ENOTFOUND/);
  });

  it("output that is not a report is 'could not run'", () => {
    const junk = path.join(bin, "junk.txt");
    writeFileSync(junk, "npm error something else\n");
    const run = spawnSync(process.execPath, [path.join(ROOT, "scripts/audit-deps.mjs")], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, FAKE_NPM_REPORT: junk, FAKE_NPM_STATUS: "0" },
    });
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/dependency audit could not run: npm audit printed no JSON report/);
  });

  // The block of .ci/run between its "dependency audit" markers, run as it is, with the same stand-in npm.
  function gateAudit(fixture: string, npmStatus: number, extra: Record<string, string> = {}) {
    const ci = readFileSync(path.join(ROOT, ".ci/run"), "utf8");
    const block = /# >>> dependency audit\n([\s\S]*?)# <<< dependency audit/.exec(ci)?.[1];
    expect(block, ".ci/run has a dependency audit block").toBeTruthy();
    const run = spawnSync("bash", ["-euo", "pipefail", "-c", `${block}\necho "outcome: $AUDIT_OUTCOME"`], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, AUDIT_REQUIRED: "", PATH: `${bin}${path.delimiter}${process.env.PATH}`, FAKE_NPM_REPORT: path.join(FIXTURES, fixture), FAKE_NPM_STATUS: String(npmStatus), ...extra },
    });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  }

  it(".ci/run goes on with 'could not check' (not 'passed') when the audit cannot run", () => {
    const { status, output } = gateAudit("endpoint-405.json", 1);
    expect(status).toBe(0);
    expect(output).toMatch(/outcome: could not check/);
    expect(output).not.toMatch(/outcome: passed/);
  });

  it(".ci/run fails when the audit cannot run and AUDIT_REQUIRED=1 (the hosted workflow)", () => {
    const { status, output } = gateAudit("endpoint-405.json", 1, { AUDIT_REQUIRED: "1" });
    expect(status).toBe(1);
    expect(output).toMatch(/AUDIT_REQUIRED=1 makes that a failure/);
  });

  it(".ci/run fails on a high advisory, and passes a clean report", () => {
    expect(gateAudit("high-advisory.json", 1).status).toBe(1);
    const clean = gateAudit("clean.json", 0);
    expect(clean.status).toBe(0);
    expect(clean.output).toMatch(/outcome: passed/);
  });
});
