import { afterAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
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

// Asynchronous, so the test worker keeps answering Vitest while git and lint-staged run (a blocked worker times out).
function sh(cwd: string, command: string, args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, output }));
  });
}

/** A scratch repository with this repository's hook set-up, installed by `prepare`, and one first commit. */
async function repoWithHook(hook = path.join(ROOT, ".husky/pre-commit")) {
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
  expect((await sh(dir, "git", ["init", "-q", "-b", "main"])).status).toBe(0);
  const prepared = await sh(dir, process.execPath, ["scripts/prepare-git-hooks.mjs"]);
  expect(prepared.output).toMatch(/git hooks installed/);
  expect((await sh(dir, "git", ["config", "core.hooksPath"])).output.trim()).toBe(".husky/_");
  expect((await commit(dir, { "README.md": "scratch\n" })).status).toBe(0);
  return dir;
}

async function commit(dir: string, files: Record<string, string>) {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  const added = await sh(dir, "git", ["add", "--", ...Object.keys(files)]);
  if (added.status !== 0) throw new Error(added.output);
  return await sh(dir, "git", ["commit", "-q", "-m", `add ${Object.keys(files).join(", ")}`]);
}

/** The commit is refused, the message names the file (and, for contents, the line), and nothing was committed. */
async function expectRefused(dir: string, files: Record<string, string>, named: RegExp) {
  const head = (await sh(dir, "git", ["rev-parse", "HEAD"])).output;
  const result = await commit(dir, files);
  expect(result.status, `commit of ${Object.keys(files).join(", ")} is refused`).not.toBe(0);
  expect(result.output).toMatch(/Commit refused: the staged changes contain secrets/);
  expect(result.output).toMatch(named);
  expect((await sh(dir, "git", ["rev-parse", "HEAD"])).output).toBe(head);
  await sh(dir, "git", ["reset", "-q"]);
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
  const sharedRepo = async () => (shared ??= await repoWithHook());

  it("refuses .env files other than .env.example, in any directory, and commits .env.example", async () => {
    const dir = await sharedRepo();
    await expectRefused(dir, { ".env": "DATABASE_URL=postgres://u:p@db/x\n" }, /^\s+\.env: a \.env file/m);
    await expectRefused(dir, { ".env.local": "A=1\n" }, /\.env\.local: a \.env file/);
    await expectRefused(dir, { "deploy/.env.production": "A=1\n" }, /deploy\/\.env\.production: a \.env file/);
    expect((await commit(dir, { ".env.example": "DATABASE_URL=\n" })).status).toBe(0);
  });

  it.each(SECRETS)("refuses a staged %s, naming the file and line but not the secret", async (_kind, content, kind) => {
    const dir = await sharedRepo();
    const refused = await expectRefused(dir, { "lib/config.ts": `// settings\n${content}` }, /lib\/config\.ts:2: /);
    expect(refused.output).toMatch(kind);
    const secretLine = content.split("\n")[0]!;
    expect(refused.output).not.toContain(secretLine.slice(Math.max(0, secretLine.length - 24)));
  });

  it("refuses an SSH private key file by its name", async () => {
    const dir = await sharedRepo();
    await expectRefused(dir, { "keys/id_ed25519": "anything\n" }, /keys\/id_ed25519: an SSH private key file/);
  });

  it("commits clean changes, identifiers that only look like prefixes, and a fixture line marked as allowed", async () => {
    const dir = await sharedRepo();
    const clean = await commit(dir, {
      "lib/cookie.ts": `export const SESSION_COOKIE_NAME = "tg_session";\nexport const start_ = "${"rt_"}short";\nconst example = "${"sk_test_"}standin0123456789";\n`,
      "tests/fixture.ts": `const k = "${"tg_live_"}${b62(43)}"; // secret-scan: allow\n`,
    });
    expect(clean.status, clean.output).toBe(0);
  });

  it("checks only what the commit adds: an existing fixture elsewhere in a file does not block an unrelated edit", async () => {
    const dir = await sharedRepo();
    expect((await commit(dir, { "tests/old.ts": `const k = "${"tg_live_"}${b62(43)}"; // secret-scan: allow\nconst a = 1;\n` })).status).toBe(0);
    writeFileSync(path.join(dir, "tests/old.ts"), `const k = "${"tg_live_"}${b62(43)}"; // secret-scan: allow\nconst a = 2;\n`);
    expect((await sh(dir, "git", ["add", "tests/old.ts"])).status).toBe(0);
    expect((await sh(dir, "git", ["commit", "-q", "-m", "edit"])).status).toBe(0);
  });

  it("checks the staged version, not the working tree", async () => {
    const dir = await repoWithHook();
    writeFileSync(path.join(dir, "notes.txt"), `${"whsec_"}${b62(32)}\n`);
    expect((await sh(dir, "git", ["add", "notes.txt"])).status).toBe(0);
    writeFileSync(path.join(dir, "notes.txt"), "nothing secret\n");
    const result = await sh(dir, "git", ["commit", "-q", "-m", "notes"]);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/notes\.txt:1: a webhook signing secret/);
  });

  it("a secret committed past the hook (--no-verify) fails the gate's check of every tracked file", async () => {
    const dir = await repoWithHook();
    const tracked = () => sh(dir, process.execPath, ["scripts/check-staged-secrets.mjs", "--tracked"]);
    expect(await tracked()).toEqual({ status: 0, output: expect.stringMatching(/tracked files, no secrets/) });
    writeFileSync(path.join(dir, "config.ts"), `export const key = "${"tg_live_"}${b62(43)}";\n`);
    writeFileSync(path.join(dir, ".env.production"), "A=1\n");
    expect((await sh(dir, "git", ["add", "config.ts", ".env.production"])).status).toBe(0);
    expect((await sh(dir, "git", ["commit", "-q", "--no-verify", "-m", "bypass"])).status).toBe(0);
    const result = await tracked();
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/config\.ts:1: a TenantGuard API key/);
    expect(result.output).toMatch(/\.env\.production: a \.env file/);
    expect(readFileSync(path.join(ROOT, ".ci/run"), "utf8")).toMatch(/^node scripts\/check-staged-secrets\.mjs --tracked$/m);
  });

  it("the assertions fail against a hook that does not run the check (fixture)", async () => {
    const dir = await repoWithHook(path.join(ROOT, "tests/fixtures/hooks/pre-commit-without-check"));
    await expect(expectRefused(dir, { ".env.local": "A=1\n" }, /\.env\.local/)).rejects.toThrow(/is refused/);
  });
});

describe("prepare script (installs the hook on npm install)", () => {
  it("never fails an install: without .git, in CI, or with HUSKY=0 it says why and exits 0", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tg-prepare-"));
    scratch.push(dir);
    const script = path.join(ROOT, "scripts/prepare-git-hooks.mjs");
    const noGit = await sh(dir, process.execPath, [script]);
    expect(noGit).toEqual({ status: 0, output: expect.stringMatching(/git hooks not installed: no \.git here/) });

    expect((await sh(dir, "git", ["init", "-q"])).status).toBe(0);
    const ci = await sh(dir, process.execPath, [script], { CI: "true" });
    expect(ci).toEqual({ status: 0, output: expect.stringMatching(/git hooks not installed: CI=true/) });
    expect((await sh(dir, process.execPath, [script], { HUSKY: "0" })).status).toBe(0);
    expect((await sh(dir, "git", ["config", "core.hooksPath"])).output.trim()).toBe("");
    expect(existsSync(path.join(dir, ".husky/_"))).toBe(false);
  });

  it("without husky installed (a production install) it says so and exits 0", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tg-prepare-"));
    scratch.push(dir);
    mkdirSync(path.join(dir, "scripts"));
    copyFileSync(path.join(ROOT, "scripts/prepare-git-hooks.mjs"), path.join(dir, "scripts/prepare-git-hooks.mjs"));
    expect((await sh(dir, "git", ["init", "-q"])).status).toBe(0);
    expect(await sh(dir, process.execPath, ["scripts/prepare-git-hooks.mjs"])).toEqual({ status: 0, output: expect.stringMatching(/husky is not installed/) });
  });
});
