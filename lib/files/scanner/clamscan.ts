import { spawn } from "node:child_process";
import { iterate, type ByteSource } from "../stream";
import { failed, verdictFromSignature, type Scanner, type ScanVerdict } from "./types";

export interface ClamscanOptions {
  /** The clamscan binary. */
  path: string;
  /** A signature database (file or directory); clamscan's default otherwise. */
  database?: string;
  timeoutMs: number;
  /** Files larger than this are a failed scan; clamscan is told to flag (not skip) anything over its own limits. */
  maxBytes: number;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

function run(options: ClamscanOptions, args: string[], input?: ByteSource): Promise<Run> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(options.path, args, { stdio: ["pipe", "pipe", "pipe"] });
    } catch (error) {
      resolve({ code: null, stdout: "", stderr: "", error: (error as Error).message });
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let settled = false;
    const finish = (result: Run) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish({ code: null, stdout: "", stderr: "", error: `clamscan did not finish within ${options.timeoutMs} ms.` });
    }, options.timeoutMs);
    child.stdout.on("data", (d: Buffer) => out.length < 64 && out.push(d));
    child.stderr.on("data", (d: Buffer) => err.length < 64 && err.push(d));
    child.on("error", (error: NodeJS.ErrnoException) => finish({ code: null, stdout: "", stderr: "", error: error.code ?? error.message }));
    child.on("close", (code) => finish({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
    child.stdin.on("error", () => undefined);
    void (async () => {
      try {
        let sent = 0;
        if (input) {
          for await (const chunk of iterate(input)) {
            sent += chunk.byteLength;
            if (sent > options.maxBytes) {
              child.kill("SIGKILL");
              finish({ code: null, stdout: "", stderr: "", error: "The file is larger than the scanner's limit." });
              return;
            }
            if (!child.stdin.write(chunk)) await new Promise((ok) => child.stdin.once("drain", ok));
            if (settled) return;
          }
        }
        child.stdin.end();
      } catch (error) {
        child.kill("SIGKILL");
        finish({ code: null, stdout: "", stderr: "", error: `The file could not be sent to clamscan: ${(error as Error).message}` });
      }
    })();
  });
}

/**
 * FILE-2: the clamscan fallback: the file on stdin, exit 0 clean, 1 infected, anything else (2 = error, a signal, a
 * missing binary) a failed scan.
 */
export function clamscanScanner(options: ClamscanOptions): Scanner {
  const name = `clamscan (${options.path})`;
  const database = options.database ? [`--database=${options.database}`] : [];
  return {
    name,
    async scan(source: ByteSource): Promise<ScanVerdict> {
      const limit = String(options.maxBytes);
      const result = await run(
        options,
        ["--no-summary", "--stdout", "--infected", `--max-filesize=${limit}`, `--max-scansize=${limit}`, "--alert-exceeds-max=yes", ...database, "-"],
        source,
      );
      if (result.error) return failed(name, result.error);
      if (result.code === 0) {
        if (/FOUND/.test(result.stdout)) return failed(name, "clamscan exited 0 but reported a finding.");
        return { verdict: "clean", scanner: name, signatureVersion: await this.version().then((v) => v.signatureVersion, () => null) };
      }
      if (result.code === 1) {
        const found = /^stdin: (.+) FOUND$/m.exec(result.stdout);
        if (!found) return failed(name, "clamscan exited 1 without naming a signature.");
        const verdict = verdictFromSignature(found[1]!.trim(), name);
        if (verdict.verdict !== "infected") return verdict;
        return { ...verdict, signatureVersion: await this.version().then((v) => v.signatureVersion, () => null) };
      }
      return failed(name, `clamscan failed (exit ${result.code ?? "none"}): ${result.stderr.trim().slice(0, 200)}`);
    },
    async version() {
      const result = await run(options, ["--version", ...database]);
      const text = result.stdout.trim();
      const match = /^ClamAV ([0-9][\w.+~-]*)(?:\/(\d+)(?:\/.*)?)?$/.exec(text);
      if (result.code !== 0 || !match) throw new Error(result.error ?? `Unexpected clamscan --version answer: ${JSON.stringify(text.slice(0, 100))}`);
      return { engine: match[1]!, signatureVersion: match[2] ?? null, raw: text };
    },
  };
}
