import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startRequest, nextRequest } from "../helpers/next-request";

vi.mock("next/headers", () => import("../helpers/next-request"));

const { GET } = await import("@/app/(dashboard)/settings/sbom/download/route");
const SbomPage = (await import("@/app/(dashboard)/settings/sbom/page")).default;
const { closeDb } = await import("@/lib/db");
const { SESSION_COOKIE_NAME } = await import("@/lib/auth/cookie-name");
const { createOrg, createUser, orgWithMembers, request, signIn } = await import("../helpers/tenants");
const { parseSbom, RUNNING_VERSION, SBOM_PATH, sbomSummary } = await import("@/lib/ops/sbom");
const { checkSbom } = await import("@/lib/ops/check");

/**
 * OPS-2: `npm run sbom` writes a CycloneDX SBOM of the production dependencies for the running version; admins see
 * and download it; the live check `sbom` fails when it is missing (production), unreadable or of another build.
 */
const ROOT = process.cwd();
const dir = mkdtempSync(path.join(tmpdir(), "tg-sbom-"));
const sbomFile = path.join(dir, "tenantguard.cdx.json");
const packageJson = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };

function runSbomScript(args: string[]) {
  const run = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts/sbom.ts"), ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

beforeAll(() => {
  const run = runSbomScript(["--output", sbomFile]);
  expect(run.status, run.output).toBe(0);
}, 120_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await closeDb();
});

describe("SBOM (OPS-2)", () => {
  it("npm run sbom writes CycloneDX JSON for this package and version, with the production dependencies only", () => {
    const text = readFileSync(sbomFile, "utf8");
    const facts = parseSbom(text);
    expect(facts).toMatchObject({ name: packageJson.name, version: packageJson.version });
    expect(facts.specVersion).toMatch(/^1\.\d$/);
    const names = new Set<string>();
    const walk = (list: { name: string; group?: string; components?: unknown[] }[] = []) => {
      for (const c of list) {
        names.add(c.group ? `${c.group}/${c.name}` : c.name);
        walk(c.components as typeof list);
      }
    };
    walk((JSON.parse(text) as { components: { name: string; group?: string }[] }).components);
    for (const dep of ["next", "zod", "@clerk/backend", "pg"]) expect(names.has(dep), dep).toBe(true);
    // Development-only packages are not shipped, so not listed.
    for (const dev of ["vitest", "eslint", "husky", "lint-staged", "@cyclonedx/cyclonedx-npm"]) expect(names.has(dev), dev).toBe(false);
    expect(facts.componentCount).toBeGreaterThan(Object.keys(packageJson.dependencies).length);
  });

  it("is reproducible: the same installed tree gives the same bytes", () => {
    const again = path.join(dir, "again.cdx.json");
    expect(runSbomScript(["--output", again]).status).toBe(0);
    expect(createHash("sha256").update(readFileSync(again)).digest("hex")).toBe(createHash("sha256").update(readFileSync(sbomFile)).digest("hex"));
  }, 120_000);

  it("the build runs it: npm run build runs npm run sbom after next build, before the standalone tree is assembled", () => {
    // scripts/standalone.mjs copies sbom/ next to server.js, so the SBOM must exist by then.
    expect((JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.build).toMatch(/^next build && npm run sbom && node scripts\/standalone\.mjs$/);
  });

  it("the live check passes for this build's SBOM and names the start of its hash", async () => {
    const result = await checkSbom({ file: sbomFile });
    expect(result.status).toBe("pass");
    expect(result.detail).toContain(`SHA-256 ${createHash("sha256").update(readFileSync(sbomFile, "utf8")).digest("hex").slice(0, 16)}…`);
    expect(result.detail).toContain(RUNNING_VERSION);
  });

  it("the live check: missing is a warning in development and a failure in production", async () => {
    const missing = path.join(dir, "missing.json");
    expect((await checkSbom({ file: missing, production: false })).status).toBe("warn");
    expect(await checkSbom({ file: missing, production: true })).toMatchObject({ status: "fail", detail: expect.stringMatching(/No SBOM for this build/) });
  });

  it("the live check fails for an SBOM of another version, and for a file that is not CycloneDX", async () => {
    const bom = JSON.parse(readFileSync(sbomFile, "utf8")) as { metadata: { component: { version: string } } };
    bom.metadata.component.version = "0.0.1-other";
    const other = path.join(dir, "other.json");
    writeFileSync(other, JSON.stringify(bom));
    expect(await checkSbom({ file: other })).toMatchObject({ status: "fail", detail: expect.stringMatching(/describes tenantguard 0\.0\.1-other, but .* is running/) });

    const notBom = path.join(dir, "not-bom.json");
    writeFileSync(notBom, JSON.stringify({ bomFormat: "SPDX", specVersion: "2.3" }));
    expect(await checkSbom({ file: notBom })).toMatchObject({ status: "fail", detail: expect.stringMatching(/not a CycloneDX document/) });
    writeFileSync(notBom, "{");
    expect((await checkSbom({ file: notBom })).status).toBe("fail");
  });

  describe("served to admins", () => {
    // The page and the download read the build's own path (SBOM_PATH): this tree's SBOM (what `npm run sbom`
    // writes there, byte for byte: the output is reproducible) is put there.
    beforeAll(() => {
      mkdirSync(path.dirname(SBOM_PATH), { recursive: true });
      copyFileSync(sbomFile, SBOM_PATH);
    });

    async function download(token: string) {
      startRequest({ "x-forwarded-for": "203.0.113.91", "user-agent": "vitest" });
      nextRequest.cookies.set(SESSION_COOKIE_NAME, { value: token, options: {} });
      return GET();
    }

    it("owners and admins see the version, component count and SHA-256; members are told it is for admins, and read nothing", async () => {
      const { owner, admin, member } = await orgWithMembers("SBOM viewers");
      const summary = await sbomSummary();
      expect(summary).toMatchObject({ present: true, matchesRunningVersion: true, runningVersion: RUNNING_VERSION });
      for (const session of [owner, admin]) {
        const page = await SbomPage.readFor(session, undefined, request());
        expect(page).toMatchObject({ kind: "ok", data: { present: true, runningVersion: RUNNING_VERSION, sha256: summary.present ? summary.sha256 : "" } });
      }
      expect(await SbomPage.readFor(member, undefined, request())).toMatchObject({ kind: "admins_only", minimumRole: "admin" });
    });

    it("the download is the file itself for admins, as an attachment; 404 for members and without a session", async () => {
      const org = await createOrg("SBOM download");
      const token = async (role: "admin" | "member") => (await signIn(await createUser([{ orgId: org.id, role }]), { ...org, role })).token;
      const adminToken = await token("admin");
      const memberToken = await token("member");

      const ok = await download(adminToken);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("content-type")).toBe("application/vnd.cyclonedx+json");
      expect(ok.headers.get("content-disposition")).toBe(`attachment; filename="tenantguard-${RUNNING_VERSION}.cdx.json"`);
      expect(await ok.text()).toBe(readFileSync(SBOM_PATH, "utf8"));

      expect((await download(memberToken)).status).toBe(404);
      startRequest({});
      expect((await GET()).status).toBe(404);
    });
  });
});
