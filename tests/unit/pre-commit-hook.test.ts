import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * OPS-2: the pre-commit hook, installed the way `npm install` installs it (the `prepare` script, husky) into a
 * scratch git repository holding the repository's hook, lint-staged configuration and secret check, then `git commit`
 * for real: staged secrets are refused with the file named, clean changes commit. A fixture hook that forgot the
 * check proves these assertions fail when the hook does not block.
 */
const ROOT = process.cwd();
const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

// The scratch repositories must not see the developer's git configuration or an enclosing hook's GIT_* variables.
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("GIT_") || k === "CI" || k === "HUSKY") delete env[k];
  const identity = { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_NAME: "Test", GIT_AUTHOR_EMAIL: "test@example.com", GIT_COMMITTER_NAME: "Test", GIT_COMMITTER_EMAIL: "test@example.com" };
  return Object.assign(env, identity, extra);
}

function sh(cwd: string, command: string, args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(command, args, { cwd, encoding: "utf8", env: cleanEnv(env) });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** A scratch repository with this repository's hook set-up, installed by `prepare`, and one first commit. */
function repoWithHook(hook = path.join(ROOT, ".husky/pre-commit")) {
  const dir = mkdtempSync(path.join(tmpdir(), "tg-hook-"));
  scratch.push(dir);
  mkdirSync(path.join(dir, ".husky"));
  mkdirSync(path.join(dir, "scripts"));
  copyFileSync(hook, path.join(dir, ".husky/pre-commit"));
  copyFileSync(path.join(ROOT, ".lintstagedrc.json"), path.join(dir, ".lintstagedrc.json"));
  copyFileSync(path.join(ROOT, "scripts/check-staged-secrets.mjs"), path.join(dir, "scripts/check-staged-secrets.mjs"));
  copyFileSync(path.join(ROOT, "scripts/prepare-git-hooks.mjs"), path.join(dir, "scripts/prepare-git-hooks.mjs"));
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  writeFileSync(path.join(dir, ".gitignore"), "node_modules\n");
  expect(sh(dir, "git", ["init", "-q", "-b", "main"]).status).toBe(0);
  const prepared = sh(dir, process.execPath, ["scripts/prepare-git-hooks.mjs"]);
  expect(prepared.output).toMatch(/git hooks installed/);
  expect(sh(dir, "git", ["config", "core.hooksPath"]).output.trim()).toBe(".husky/_");
  expect(commit(dir, { "README.md": "scratch\n" }).status).toBe(0);
  return dir;
}

function commit(dir: string, files: Record<string, string>) {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  const added = sh(dir, "git", ["add", "--", ...Object.keys(files)]);
  if (added.status !== 0) throw new Error(added.output);
  return sh(dir, "git", ["commit", "-q", "-m", `add ${Object.keys(files).join(", ")}`]);
}

/** The commit is refused, the message names the file (and, for contents, the line), and nothing was committed. */
function expectRefused(dir: string, files: Record<string, string>, named: RegExp) {
  const head = sh(dir, "git", ["rev-parse", "HEAD"]).output;
  const result = commit(dir, files);
  expect(result.status, `commit of ${Object.keys(files).join(", ")} is refused`).not.toBe(0);
  expect(result.output).toMatch(/Commit refused: the staged changes contain secrets/);
  expect(result.output).toMatch(named);
  expect(sh(dir, "git", ["rev-parse", "HEAD"]).output).toBe(head);
  sh(dir, "git", ["reset", "-q"]);
  for (const name of Object.keys(files)) rmSync(path.join(dir, name), { force: true });
  return result;
}

// Secrets in the shapes we mint, built at run time so this file holds none.
const b62 = (n: number) => "aZ09".repeat(n).slice(0, n);
const b64url = (n: number) => "Ab9_-".repeat(n).slice(0, n);
const SECRETS: [string, string, RegExp][] = [
  ["PEM private key", `${"-----BEGIN"} RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n`, /private key \(PEM/],
  ["OpenSSH private key", `${"-----BEGIN"} OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n`, /private key \(PEM/],
  ["Ed25519 PKCS#8", `AUDIT_SIGNING_KEY=v1:${"MC4CAQAwBQYDK2Vw"}BCIEI${b62(43)}\n`, /Ed25519 private key/],
  ["API key", `export const key = "${"tg_live_"}${b62(43)}";\n`, /TenantGuard API key/],
  ["member invite", `const link = "/invite/${"tgi_"}${b64url(43)}";\n`, /member invite link/],
  ["project link", `const link = "/share/p/${"tgp_"}${b64url(43)}";\n`, /project invite link/],
  ["refresh token", `refresh: "${"rt_"}${b64url(43)}"\n`, /refresh token/],
  ["key-encryption key", `ENCRYPTION_KEYS="k1:${b62(43)}="\n`, /key-encryption key/],
  ["webhook secret", `STRIPE_WEBHOOK_SECRET=${"whsec_"}${b62(32)}\n`, /webhook signing secret/],
  ["Stripe live key", `const stripe = "${"sk_live_"}${b62(40)}";\n`, /live Stripe/],
  ["Stripe restricted key", `const stripe = "${"rk_live_"}${b62(40)}";\n`, /live Stripe/],
];

describe("pre-commit hook (OPS-2)", () => {
  // One repository for the refusals: each refused commit leaves it as it was (checked in expectRefused).
  let shared: string | undefined;
  const sharedRepo = () => (shared ??= repoWithHook());

  it("refuses .env files other than .env.example, in any directory, and commits .env.example", () => {
    const dir = sharedRepo();
    expectRefused(dir, { ".env": "DATABASE_URL=postgres://u:p@db/x\n" }, /^\s+\.env: a \.env file/m);
    expectRefused(dir, { ".env.local": "A=1\n" }, /\.env\.local: a \.env file/);
    expectRefused(dir, { "deploy/.env.production": "A=1\n" }, /deploy\/\.env\.production: a \.env file/);
    expect(commit(dir, { ".env.example": "DATABASE_URL=\n" }).status).toBe(0);
  });

  it.each(SECRETS)("refuses a staged %s, naming the file and line but not the secret", (_kind, content, kind) => {
    const dir = sharedRepo();
    const refused = expectRefused(dir, { "lib/config.ts": `// settings\n${content}` }, /lib\/config\.ts:2: /);
    expect(refused.output).toMatch(kind);
    const secretLine = content.split("\n")[0]!;
    expect(refused.output).not.toContain(secretLine.slice(Math.max(0, secretLine.length - 24)));
  });

  it("refuses an SSH private key file by its name", () => {
    const dir = sharedRepo();
    expectRefused(dir, { "keys/id_ed25519": "anything\n" }, /keys\/id_ed25519: an SSH private key file/);
  });

  it("commits clean changes, identifiers that only look like prefixes, and a fixture line marked as allowed", () => {
    const dir = sharedRepo();
    const clean = commit(dir, {
      "lib/cookie.ts": `export const SESSION_COOKIE_NAME = "tg_session";\nexport const start_ = "${"rt_"}short";\nconst example = "${"sk_test_"}standin0123456789";\n`,
      "tests/fixture.ts": `const k = "${"tg_live_"}${b62(43)}"; // secret-scan: allow\n`,
    });
    expect(clean.status, clean.output).toBe(0);
  });

  it("checks only what the commit adds: an existing fixture elsewhere in a file does not block an unrelated edit", () => {
    const dir = sharedRepo();
    expect(commit(dir, { "tests/old.ts": `const k = "${"tg_live_"}${b62(43)}"; // secret-scan: allow\nconst a = 1;\n` }).status).toBe(0);
    writeFileSync(path.join(dir, "tests/old.ts"), `const k = "${"tg_live_"}${b62(43)}"; // secret-scan: allow\nconst a = 2;\n`);
    expect(sh(dir, "git", ["add", "tests/old.ts"]).status).toBe(0);
    expect(sh(dir, "git", ["commit", "-q", "-m", "edit"]).status).toBe(0);
  });

  it("checks the staged version, not the working tree", () => {
    const dir = repoWithHook();
    writeFileSync(path.join(dir, "notes.txt"), `${"whsec_"}${b62(32)}\n`);
    expect(sh(dir, "git", ["add", "notes.txt"]).status).toBe(0);
    writeFileSync(path.join(dir, "notes.txt"), "nothing secret\n");
    const result = sh(dir, "git", ["commit", "-q", "-m", "notes"]);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/notes\.txt:1: a webhook signing secret/);
  });

  it("the assertions fail against a hook that does not run the check (fixture)", () => {
    const dir = repoWithHook(path.join(ROOT, "tests/fixtures/hooks/pre-commit-without-check"));
    expect(() => expectRefused(dir, { ".env.local": "A=1\n" }, /\.env\.local/)).toThrow(/is refused/);
  });
});

describe("prepare script (installs the hook on npm install)", () => {
  it("never fails an install: without .git, in CI, or with HUSKY=0 it says why and exits 0", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tg-prepare-"));
    scratch.push(dir);
    const script = path.join(ROOT, "scripts/prepare-git-hooks.mjs");
    const noGit = sh(dir, process.execPath, [script]);
    expect(noGit).toEqual({ status: 0, output: expect.stringMatching(/git hooks not installed: no \.git here/) });

    expect(sh(dir, "git", ["init", "-q"]).status).toBe(0);
    const ci = sh(dir, process.execPath, [script], { CI: "true" });
    expect(ci).toEqual({ status: 0, output: expect.stringMatching(/git hooks not installed: CI=true/) });
    expect(sh(dir, process.execPath, [script], { HUSKY: "0" }).status).toBe(0);
    expect(sh(dir, "git", ["config", "core.hooksPath"]).output.trim()).toBe("");
    expect(existsSync(path.join(dir, ".husky/_"))).toBe(false);
  });

  it("without husky installed (a production install) it says so and exits 0", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tg-prepare-"));
    scratch.push(dir);
    mkdirSync(path.join(dir, "scripts"));
    copyFileSync(path.join(ROOT, "scripts/prepare-git-hooks.mjs"), path.join(dir, "scripts/prepare-git-hooks.mjs"));
    expect(sh(dir, "git", ["init", "-q"]).status).toBe(0);
    expect(sh(dir, process.execPath, ["scripts/prepare-git-hooks.mjs"])).toEqual({ status: 0, output: expect.stringMatching(/husky is not installed/) });
  });
});
