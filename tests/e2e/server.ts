import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * The port an app asked for, or, with E2E_PORTS=<first>-<last> set (a machine where several suites run at once), the
 * port of that range the request maps to (the same request always gets the same port).
 */
export function e2ePort(requested: number, range = process.env.E2E_PORTS): number {
  if (!range) return requested;
  const m = /^(\d+)-(\d+)$/.exec(range.trim());
  if (!m || Number(m[2]) < Number(m[1])) throw new Error(`E2E_PORTS must look like 3220-3229, not ${range}`);
  const [first, last] = [Number(m[1]), Number(m[2])];
  return first + (requested % (last - first + 1));
}

/**
 * Starts the production build (`npm run build` must have run: `.next/standalone`) through `npm start`'s server entry, on its own port with its own embedded database
 * and identity key, seeded with the demo data. Returns the base URL and a stop function.
 */
export async function startApp(requestedPort = 3100, extraEnv: Record<string, string> = {}): Promise<{ baseUrl: string; logs: () => string; stop: () => Promise<void> }> {
  const port = e2ePort(requestedPort);
  const baseUrl = `http://localhost:${port}`;
  const dir = mkdtempSync(path.join(tmpdir(), "tenantguard-e2e-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production" as const,
    ALLOW_EMBEDDED_IN_PRODUCTION: "true",
    APP_URL: baseUrl,
    PGLITE_DATA_DIR: path.join(dir, "fresh-checkout", ".data", "pglite"), // parents do not exist yet, as on a fresh clone
    IDP_KEY_FILE: path.join(dir, "idp-key.json"),
    // AUD-5: each app's signed checkpoints in a sink of its own (every app seeds the same demo orgs from scratch).
    AUDIT_CHECKPOINT_DIR: path.join(dir, "audit-checkpoints"),
    // The seed runs from the checkout and the server from .next/standalone (its own working directory): every file
    // both read is named absolutely.
    STORAGE_ROOT: path.join(dir, "storage"),
    FILE_URL_KEY_FILE: path.join(dir, "file-url-secret.json"),
    ...extraEnv,
  };
  const bin = (name: string) => path.join(process.cwd(), "node_modules", ".bin", name);
  const seeded = spawnSync(bin("tsx"), ["--conditions=react-server", "scripts/seed.ts"], { env, encoding: "utf8" });
  if (seeded.status !== 0) throw new Error(`seeding failed: ${seeded.stderr}`);

  // Exactly what `npm start` runs (the standalone build's server entry, scripts/server.mjs), without npm in between
  // to pass signals through.
  const [command, ...args] = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: { start: string } }).scripts.start.split(" ");
  if (command !== "node") throw new Error(`npm start runs ${command}, not node`);
  const server: ChildProcess = spawn(process.execPath, [...args, "-p", String(port)], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  server.stdout?.on("data", (d) => (output += d));
  server.stderr?.on("data", (d) => (output += d));

  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${baseUrl}/sign-in`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (server.exitCode !== null || Date.now() > deadline) {
      server.kill("SIGKILL");
      throw new Error(`the app did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    baseUrl,
    logs: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (server.exitCode !== null) return resolve();
        server.once("exit", () => resolve());
        server.kill("SIGTERM");
        setTimeout(() => server.kill("SIGKILL"), 5_000).unref();
      }),
  };
}
