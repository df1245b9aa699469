import { spawn, type ChildProcess } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/**
 * A real clamd on 127.0.0.1 for one test file, with the project's test signature database
 * (tests/fixtures/clamav/eicar.hdb: the MD5 of the EICAR test file, made with `sigtool --md5`) and no freshclam.
 */

export const CLAMD_BINARY = process.env.CLAMD_PATH ?? "/usr/sbin/clamd";
export const CLAMSCAN_BINARY = process.env.CLAMSCAN_TEST_PATH ?? "/usr/bin/clamscan";
export const TEST_SIGNATURES = path.resolve(__dirname, "../fixtures/clamav/eicar.hdb");

/** The EICAR antivirus test file, assembled here so no scanner flags this source file itself. */
export const EICAR = Buffer.from(["X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"].join(""), "latin1");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Clamd {
  host: string;
  port: number;
  /** The same clamd's Unix socket. */
  socket: string;
  /** The configured StreamMaxLength, in bytes. */
  streamMaxBytes: number;
  stop(): Promise<void>;
  /** Whether the process is still running. */
  running(): boolean;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("zPING\0"));
    socket.on("data", (d) => done(d.toString().startsWith("PONG")));
  });
}

export async function startClamd(options: { streamMaxBytes?: number } = {}): Promise<Clamd> {
  const streamMaxBytes = options.streamMaxBytes ?? 1024 * 1024;
  const dir = await mkdtemp(path.join(os.tmpdir(), "tg-clamd-"));
  const db = path.join(dir, "db");
  await mkdir(db);
  await copyFile(TEST_SIGNATURES, path.join(db, "eicar.hdb"));
  const port = await freePort();
  const config = path.join(dir, "clamd.conf");
  await writeFile(
    config,
    [
      "Foreground yes",
      `TCPSocket ${port}`,
      "TCPAddr 127.0.0.1",
      `LocalSocket ${path.join(dir, "clamd.sock")}`,
      `DatabaseDirectory ${db}`,
      `LogFile ${path.join(dir, "clamd.log")}`,
      `PidFile ${path.join(dir, "clamd.pid")}`,
      `TemporaryDirectory ${dir}`,
      `StreamMaxLength ${streamMaxBytes}`,
      `MaxFileSize ${streamMaxBytes}`,
      `MaxScanSize ${streamMaxBytes}`,
      "AlertExceedsMax yes",
      "MaxThreads 2",
      "SelfCheck 0",
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(CLAMD_BINARY, ["--config-file", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.once("exit", () => (exited = true));
  const deadline = Date.now() + 60_000;
  while (!(await ping(port))) {
    if (exited) throw new Error(`clamd exited at start: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`clamd did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    host: "127.0.0.1",
    port,
    socket: path.join(dir, "clamd.sock"),
    streamMaxBytes,
    running: () => !exited,
    async stop() {
      if (!exited) {
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await gone;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
