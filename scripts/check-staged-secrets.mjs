// OPS-2: the pre-commit secret check (.husky/pre-commit runs it through lint-staged; it also runs on its own).
// Refuses a commit that stages
//   - a .env file other than .env.example (any directory), or an SSH private key file,
//   - a private key (PEM / OpenSSH / PGP armour, or the Ed25519 PKCS#8 form AUDIT_SIGNING_KEY takes),
//   - a credential in one of TenantGuard's own formats (API keys, invite and project links, refresh tokens, the
//     ENCRYPTION_KEYS setting) or a webhook / Stripe secret.
// Only what the commit adds is read: the staged names, and the added lines of the staged diff (so the check sees
// exactly what will be committed, whatever the working tree holds). A line that is a deliberate fixture may carry
// the marker `secret-scan: allow`, which shows in review. Findings name the file, the line and the kind of
// secret, never the secret. Plain JavaScript with no dependencies: exit 0 clean, 1 refused, 2 could not check.
//
// `--tracked` checks every tracked file, whole, as checked out: `.ci/run` runs it, so a commit made with
// `git commit --no-verify` is still caught by the gate.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

const ALLOW_MARKER = "secret-scan: allow";

/** Names that are refused whatever they contain. */
const FILE_RULES = [
  { test: (base) => base.startsWith(".env") && base !== ".env.example", kind: "a .env file (only .env.example may be committed)" },
  { test: (base) => /^id_(rsa|dsa|ecdsa|ed25519)(_sk)?$/.test(base), kind: "an SSH private key file" },
];

/** Patterns in added lines. Ours are matched in their exact minted shape, so identifiers like `tg_session` pass. */
const b64url = "[A-Za-z0-9_-]";
const CONTENT_RULES = [
  { re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/, kind: "a private key (PEM / OpenSSH / PGP)" },
  { re: /MC4CAQAwBQYDK2VwBCIEI[A-Za-z0-9+/]{20,}/, kind: "an Ed25519 private key (PKCS#8, as AUDIT_SIGNING_KEY holds it)" },
  { re: /(?<![A-Za-z0-9_])tg_(?:live|test)_[0-9A-Za-z]{43}(?![0-9A-Za-z])/, kind: "a TenantGuard API key (tg_live_ / tg_test_)" },
  { re: new RegExp(`(?<![A-Za-z0-9_])tgi_${b64url}{43}(?!${b64url})`), kind: "a TenantGuard member invite link (tgi_)" },
  { re: new RegExp(`(?<![A-Za-z0-9_])tgp_${b64url}{43}(?!${b64url})`), kind: "a TenantGuard project invite link (tgp_)" },
  { re: new RegExp(`(?<![A-Za-z0-9_])rt_${b64url}{43}(?!${b64url})`), kind: "a TenantGuard refresh token (rt_)" },
  { re: /ENCRYPTION_KEYS\s*[:=]\s*["'`]?[A-Za-z0-9][A-Za-z0-9_.-]{0,31}:[A-Za-z0-9+/]{43}=/, kind: "a key-encryption key (ENCRYPTION_KEYS)" },
  { re: /(?<![A-Za-z0-9_])whsec_[A-Za-z0-9+/=]{24,}/, kind: "a webhook signing secret (whsec_)" },
  { re: /(?<![A-Za-z0-9_])(?:sk|rk)_live_[A-Za-z0-9]{20,}/, kind: "a live Stripe / Clerk secret key (sk_live_ / rk_live_)" },
];

function git(args, cwd) {
  return execFileSync("git", args, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
}

/** Added lines of one staged file, with their line numbers in the staged version. */
function addedLines(top, file) {
  const diff = git(["diff", "--cached", "--unified=0", "--no-color", "--no-ext-diff", "--no-textconv", "--", file], top);
  const lines = [];
  let next = 0;
  for (const line of diff.split("\n")) {
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      next = Number(hunk[1]);
    } else if (line.startsWith("+") && !line.startsWith("+++ ")) {
      lines.push({ number: next, text: line.slice(1) });
      next += 1;
    }
  }
  return lines;
}

/** Every line of a tracked file as checked out (none for a binary file, a submodule or one deleted since). */
function allLines(top, file) {
  let text;
  try {
    text = readFileSync(path.join(top, file), "utf8");
  } catch {
    return [];
  }
  if (text.includes("\0")) return [];
  return text.split("\n").map((line, i) => ({ number: i + 1, text: line }));
}

function main() {
  const tracked = process.argv[2] === "--tracked";
  let top;
  let candidates;
  try {
    top = git(["rev-parse", "--show-toplevel"], process.cwd()).trim();
    candidates = (tracked ? git(["ls-files", "-z"], top) : git(["diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR"], top)).split("\0").filter(Boolean);
  } catch (error) {
    console.error(`staged-secrets check could not run: ${error.message.split("\n")[0]}`);
    return 2;
  }
  // lint-staged passes the staged files it matched (absolute paths); on its own, every staged file is checked.
  const given = tracked ? [] : process.argv.slice(2).map((f) => path.relative(top, path.resolve(f)).split(path.sep).join("/"));
  const files = given.length > 0 ? candidates.filter((f) => given.includes(f)) : candidates;
  const linesOf = tracked ? allLines : addedLines;

  const findings = [];
  for (const file of files) {
    const base = path.posix.basename(file);
    for (const rule of FILE_RULES) if (rule.test(base)) findings.push(`${file}: ${rule.kind}`);
    for (const { number, text } of linesOf(top, file)) {
      if (text.includes(ALLOW_MARKER)) continue;
      for (const rule of CONTENT_RULES) if (rule.re.test(text)) findings.push(`${file}:${number}: ${rule.kind}`);
    }
  }
  if (findings.length === 0) {
    if (tracked) console.log(`secret check: ${files.length} tracked files, no secrets.`);
    return 0;
  }
  console.error(tracked ? "Secret check failed: tracked files contain secrets." : "Commit refused: the staged changes contain secrets.");
  for (const f of findings) console.error(`  ${f}`);
  console.error(
    tracked
      ? "Remove them from the repository (and its history), keep secrets in .env.local or the deployment's environment, and rotate any that were real."
      : "Unstage them (git restore --staged <file>), keep secrets in .env.local or the deployment's environment, and rotate any that were real.",
  );
  console.error(`A line that is a deliberate test fixture may carry the marker "${ALLOW_MARKER}".`);
  return 1;
}

process.exit(main());
