import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * Starts the production build (`next build` must have run) through `npm start`'s server entry, on its own port with its own embedded database
 * and identity key, seeded with the demo data. Returns the base URL and a stop function.
 */
export async function startApp(port = 3100, extraEnv: Record<string, string> = {}): Promise<{ baseUrl: string; logs: () => string; stop: () => Promise<void> }> {
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
    ...extraEnv,
  };
  const bin = (name: string) => path.join(process.cwd(), "node_modules", ".bin", name);
  const seeded = spawnSync(bin("tsx"), ["--conditions=react-server", "scripts/seed.ts"], { env, encoding: "utf8" });
  if (seeded.status !== 0) throw new Error(`seeding failed: ${seeded.stderr}`);

  // Exactly what `npm start` runs (the production server entry), without npm in between to pass signals through.
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
