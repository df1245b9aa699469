// `npm run bench:upload` (= tsx --conditions=react-server scripts/bench-upload.ts): what a large upload costs the
// production server, in memory and in throughput (FILE-1: uploads stream, the proxy does not buffer them).
//
// A benchmark, not a test: it exits 0 once it has measured (non-zero only if it could not run) and prints PASS/MISS
// against the targets. In one run, on one machine, with the same client and the same bytes:
//
//   app    the REAL production server (`next build`, then `node scripts/server.mjs`, what `npm start` runs) with its
//          embedded defaults (PGlite and local storage in a temporary directory), MAX_UPLOAD_BYTES raised for the
//          run; the file goes to the partner route POST /api/v1/projects/{id}/documents with a read+write API key
//          (created in the database before the server starts): key check, rate limits, the route-level edge
//          pipeline, type sniffing, text validation to the last byte, SHA-256, quarantine on disk, the document row.
//   bare   a bare Node `http` server in its own process that pipes the request body to a file, with no checks.
//   fs     for reference, a raw `fs` copy of the same file in this process (no HTTP at all).
//
// The file is BENCH_UPLOAD_MB (100) MB of CSV text (an allowed type whose every byte is validated, the costliest
// path; BENCH_UPLOAD_TYPE=pdf: a PDF header and the same filler, whose type is checked on its first 64 KB), written to disk before each round with a different first line, so every round is a new document (not a
// duplicate). The client streams it from disk with its Content-Length, as curl -T does, one upload at a time.
// Memory: the app server's peak RSS growth during one upload: /proc/<pid>/clear_refs is written "5" (resets
// VmHWM) right before the upload, then VmHWM after it minus VmRSS before it. Throughput: bytes / wall time from the
// first byte sent to the response's end; the ratio app/bare is taken per round (the two alternate order), median.
// Settings: BENCH_ROUNDS=5, BENCH_UPLOAD_MB=100, BENCH_PORT=3901 (bare: +1), BENCH_SKIP_BUILD=1 to reuse .next
// (default: `next build` first, so the figures are of this checkout), BENCH_PROFILE=<folder>: a CPU profile of the
// app server (--cpu-prof), written when it stops.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readdir, unlink } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { processCpuMs, processMemory } from "./bench/cpu";
import { QUICK, recordFigures } from "./bench/results";
import { median, setting } from "./bench/stats";

const TARGET_RSS_GROWTH_MB = 64;
const TARGET_THROUGHPUT_RATIO = 0.8;
const MB = 1024 * 1024;

// --quick: 2 rounds of 20 MB unless the settings say otherwise.
const num = (name: string, fallback: number) => setting(name, QUICK ? ({ BENCH_ROUNDS: 2, BENCH_UPLOAD_MB: 20 } as Record<string, number>)[name] ?? fallback : fallback);

// ---- the bare baseline server (a child process of this script) -------------------------------------------------

async function serveBare(port: number, dir: string) {
  let n = 0;
  const server = http.createServer((req, res) => {
    const file = path.join(dir, `bare-${process.pid}-${n++}`);
    pipeline(req, createWriteStream(file)).then(
      () => {
        res.writeHead(201, { "content-type": "application/json" });
        res.end(JSON.stringify({ bytes: statSync(file).size }));
        rmSync(file, { force: true });
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  process.send?.({ type: "ready" });
}

// ---- the run ---------------------------------------------------------------------------------------------------

const memoryOf = processMemory;
/** The process's CPU time (user + system), in seconds. */
const cpuOf = (pid: number): number => processCpuMs(pid) / 1000;

/** Streams the file as the request body (with its length) and resolves when the response has ended. */
function upload(url: string, file: string, headers: Record<string, string>): Promise<{ status: number; seconds: number; body: string }> {
  const size = statSync(file).size;
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(url, { method: "POST", headers: { ...headers, "content-length": String(size) }, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, seconds: Number(process.hrtime.bigint() - started) / 1e9, body }));
    });
    req.on("error", reject);
    createReadStream(file, { highWaterMark: 64 * 1024 }).pipe(req);
  });
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the server did not start:\n${output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function writeFile(file: string, bytes: number, round: number, type: "csv" | "pdf") {
  // CSV: every byte is validated as UTF-8 text without control characters. PDF: a PDF header, then the same filler
  // as a content stream's bytes (only the first 64 KB are inspected, for the type and for markup).
  const line = "2026-12-01T10:00:00Z,acme-eu-west,invoice-000000,4711.00,EUR,paid,\"Quarterly licence, 12 seats\"\n";
  const block = Buffer.from(line.repeat(Math.ceil(MB / line.length))).subarray(0, MB);
  const head = Buffer.from(
    type === "pdf"
      ? `%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Length ${bytes} >> stream % round ${round} ${Date.now()}\n`
      : `when,region,reference,amount,currency,status,note # round ${round} ${Date.now()}\n`,
  );
  const fd = createWriteStream(file);
  return new Promise<void>((resolve, reject) => {
    fd.on("error", reject);
    fd.write(head);
    let left = bytes - head.length;
    const more = () => {
      while (left > 0) {
        const piece = left >= block.length ? block : block.subarray(0, left);
        left -= piece.length;
        if (!fd.write(piece)) return void fd.once("drain", more);
      }
      fd.end(resolve);
    };
    more();
  });
}

async function rawCopy(file: string, dir: string): Promise<number> {
  const out = path.join(dir, "fs-copy");
  const started = process.hrtime.bigint();
  await pipeline(createReadStream(file, { highWaterMark: 64 * 1024 }), createWriteStream(out));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await unlink(out);
  return seconds;
}

async function seed(env: NodeJS.ProcessEnv): Promise<{ key: string; projectId: string }> {
  // The embedded database is one process's: create the org, project and key, close it, then start the server.
  Object.assign(process.env, env);
  const { closeDb, migrate, ownerDb } = await import("@/lib/db");
  const { apiKeyPrefix, generateApiKey, hashApiKey } = await import("@/lib/api-keys/key-format");
  const owner = await ownerDb();
  await migrate(owner);
  const org = `org_benchupload${process.pid}`;
  await owner.query("insert into public.organizations (id, name, slug) values ($1, 'Bench uploads', $2)", [org, `bench-upload-${process.pid}`]);
  const [project] = await owner.query<{ id: string }>("insert into public.projects (org_id, name, created_by) values ($1, 'Uploads', 'user_bench') returning id", [org]);
  const key = generateApiKey("live");
  await owner.query(
    `insert into public.api_keys (org_id, name, prefix, key_hash, permissions, created_by)
     values ($1, 'bench upload', $2, $3, array['read', 'write'], 'user_bench')`,
    [org, apiKeyPrefix(key), hashApiKey(key)],
  );
  await closeDb();
  return { key, projectId: project!.id };
}

async function main() {

  const rounds = num("BENCH_ROUNDS", 5);
  const sizeMb = num("BENCH_UPLOAD_MB", 100);
  const port = num("BENCH_PORT", 3901);
  const fileType = process.env.BENCH_UPLOAD_TYPE === "pdf" ? "pdf" : "csv";
  const barePort = port + 1;
  const bytes = Math.round(sizeMb * 1e6);
  const dir = mkdtempSync(path.join(os.tmpdir(), "tg-bench-upload-"));
  const file = path.join(dir, "upload.bin");
  mkdirSync(path.join(dir, "bare"), { recursive: true });

  // Embedded defaults: no external database or Redis, for the build (as CI builds) and the server.
  for (const name of ["DATABASE_URL", "MIGRATION_DATABASE_URL", "REDIS_URL"]) delete process.env[name];
  if (process.env.BENCH_SKIP_BUILD !== "1") {
    console.log("Building the production server (next build)…");
    const built = spawnSync(path.join("node_modules", ".bin", "next"), ["build"], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, ALLOW_EMBEDDED_IN_PRODUCTION: "true" },
    });
    if (built.status !== 0) throw new Error("next build failed");
  }
  if (!existsSync(path.join(".next", "BUILD_ID"))) throw new Error("No production build (.next): run `npm run build` or drop BENCH_SKIP_BUILD.");

  const appUrl = `http://127.0.0.1:${port}`;
  const serverEnv: NodeJS.ProcessEnv = {
    NODE_ENV: "production",
    ALLOW_EMBEDDED_IN_PRODUCTION: "true",
    APP_URL: appUrl,
    PGLITE_DATA_DIR: path.join(dir, "pglite"),
    IDP_KEY_FILE: path.join(dir, "idp-key.json"),
    STORAGE_ROOT: path.join(dir, "storage"),
    MAX_UPLOAD_BYTES: String(Math.max(bytes * 2, 25 * MB)),
    ORG_STORAGE_QUOTA_BYTES: String(bytes * (rounds + 2) * 2),
    LOG_LEVEL: "warn",
  };
  const { key, projectId } = await seed(serverEnv);

  // The app server: exactly what `npm start` runs.
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE)}`] : [];
  const app = spawn(process.execPath, [...profile, "scripts/server.mjs", "-p", String(port), "-H", "127.0.0.1"], {
    env: { ...process.env, ...serverEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let appOutput = "";
  app.stdout.on("data", (d) => (appOutput += d));
  app.stderr.on("data", (d) => (appOutput += d));
  const bare = spawn(process.execPath, ["--import", "tsx", "scripts/bench-upload.ts", "--bare", String(barePort), path.join(dir, "bare")], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const stop = async () => {
    for (const child of [app, bare]) {
      if (child.exitCode !== null) continue;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitUntilUp(`${appUrl}/health/live`, app, () => appOutput);
    await new Promise<void>((resolve, reject) => {
      bare.once("message", () => resolve());
      bare.once("exit", () => reject(new Error("the bare server did not start")));
    });

    const headers = { authorization: `Bearer ${key}`, "content-type": fileType === "pdf" ? "application/pdf" : "text/csv", "x-file-name": `ledger.${fileType}` };
    const warmHeaders = { authorization: `Bearer ${key}`, "content-type": "text/csv" };
    const appTarget = `${appUrl}/api/v1/projects/${projectId}/documents`;
    const bareTarget = `http://127.0.0.1:${barePort}/upload`;

    // Warm-up: the route's code loaded and compiled, the key cached, the database's pages in memory.
    writeFileSync(file, "when,amount\n2026-12-01,1\n");
    for (let i = 0; i < 3; i++) {
      const warm = await upload(appTarget, file, { ...warmHeaders, "x-file-name": `warm-${i}.csv` });
      if (warm.status >= 300 && warm.status !== 200) throw new Error(`warm-up upload answered ${warm.status}: ${warm.body}`);
      writeFileSync(file, `when,amount\n2026-12-0${i + 2},${i}\n`);
      await upload(bareTarget, file, warmHeaders);
    }

    const rows: { round: number; app: number; bare: number; fs: number; rssBefore: number; hwm: number; growth: number; cpu: number; bareCpu: number; status: number }[] = [];
    for (let round = 1; round <= rounds; round++) {
      await writeFile(file, bytes, round, fileType);
      const runApp = async () => {
        const before = memoryOf(app.pid!);
        let reset = true;
        try {
          writeFileSync(`/proc/${app.pid}/clear_refs`, "5");
        } catch {
          reset = false;
        }
        const cpuBefore = cpuOf(app.pid!);
        const res = await upload(appTarget, file, headers);
        const after = memoryOf(app.pid!);
        if (res.status !== 201) throw new Error(`the app answered ${res.status}: ${res.body.slice(0, 300)}`);
        if (!reset) console.log("(could not reset VmHWM: the growth is measured against the peak so far)");
        return { seconds: res.seconds, status: res.status, rssBefore: before.rss, hwm: after.hwm, growth: after.hwm - before.rss, cpu: cpuOf(app.pid!) - cpuBefore };
      };
      let bareCpu = 0;
      const runBare = async () => {
        const cpuBefore = cpuOf(bare.pid!);
        const res = await upload(bareTarget, file, headers);
        bareCpu = cpuOf(bare.pid!) - cpuBefore;
        if (res.status !== 201 || (JSON.parse(res.body) as { bytes: number }).bytes !== bytes) throw new Error(`the bare server answered ${res.status}: ${res.body}`);
        return res.seconds;
      };
      let appResult: Awaited<ReturnType<typeof runApp>>;
      let bareSeconds: number;
      if (round % 2) {
        appResult = await runApp();
        bareSeconds = await runBare();
      } else {
        bareSeconds = await runBare();
        appResult = await runApp();
      }
      const fsSeconds = await rawCopy(file, dir);
      rows.push({ round, app: appResult.seconds, bare: bareSeconds, fs: fsSeconds, rssBefore: appResult.rssBefore, hwm: appResult.hwm, growth: appResult.growth, cpu: appResult.cpu, bareCpu, status: appResult.status });
      const mbps = (s: number) => (bytes / 1e6 / s).toFixed(0);
      console.log(
        `round ${round}: app ${mbps(appResult.seconds)} MB/s, bare ${mbps(bareSeconds)} MB/s (ratio ${(bareSeconds / appResult.seconds).toFixed(3)}), fs ${mbps(fsSeconds)} MB/s; ` +
          `app RSS ${(appResult.rssBefore / MB).toFixed(0)} MiB before, peak ${(appResult.hwm / MB).toFixed(0)} MiB (growth ${(appResult.growth / MB).toFixed(1)} MiB); server CPU app ${appResult.cpu.toFixed(2)} s, bare ${bareCpu.toFixed(2)} s; load ${os.loadavg()[0]!.toFixed(1)}`,
      );
      // The document is recorded; its quarantine copy is removed so the disk holds one round at a time.
      const quarantine = path.join(serverEnv.STORAGE_ROOT!, "quarantine");
      for (const entry of await readdir(quarantine, { recursive: true, withFileTypes: true }).catch(() => [])) {
        if (entry.isFile() && !entry.name.endsWith(".part")) rmSync(path.join(entry.parentPath, entry.name), { force: true });
      }
    }

    const ratio = median(rows.map((r) => r.bare / r.app));
    const growth = median(rows.map((r) => r.growth)) / MB;
    const worstGrowth = Math.max(...rows.map((r) => r.growth)) / MB;
    const cpus = os.cpus();
    console.log("");
    console.log(`Host: ${cpus.length} x ${cpus[0]?.model ?? "unknown CPU"}, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB, Node ${process.version}, ${os.loadavg()[0]!.toFixed(2)} load`);
    console.log(`File: ${(bytes / 1e6).toFixed(0)} MB of ${fileType === "pdf" ? "PDF (header + filler)" : "CSV"}, ${rounds} rounds (median)`);
    console.log(`  app  ${(bytes / 1e6 / median(rows.map((r) => r.app))).toFixed(0)} MB/s   (production server, partner upload route)`);
    console.log(`  bare ${(bytes / 1e6 / median(rows.map((r) => r.bare))).toFixed(0)} MB/s   (Node http piping to a file)`);
    console.log(`  fs   ${(bytes / 1e6 / median(rows.map((r) => r.fs))).toFixed(0)} MB/s   (fs copy, no HTTP)`);
    console.log(`  server CPU per upload: app ${median(rows.map((r) => r.cpu)).toFixed(2)} s, bare ${median(rows.map((r) => r.bareCpu)).toFixed(2)} s`);
    console.log(`${ratio >= TARGET_THROUGHPUT_RATIO ? "PASS" : "MISS"} throughput app/bare ${ratio.toFixed(3)} (target >= ${TARGET_THROUGHPUT_RATIO})`);
    console.log(
      `${worstGrowth < TARGET_RSS_GROWTH_MB ? "PASS" : "MISS"} peak RSS growth per upload ${growth.toFixed(1)} MiB median, ${worstGrowth.toFixed(1)} MiB worst (target < ${TARGET_RSS_GROWTH_MB} MiB)`,
    );
    await recordFigures("upload", [
      { name: `throughput app / bare (${(bytes / 1e6).toFixed(0)} MB ${fileType}, median of ${rounds})`, value: ratio, unit: "ratio", target: { op: ">=", value: TARGET_THROUGHPUT_RATIO } },
      { name: "peak RSS growth per upload, worst round", value: worstGrowth, unit: "MiB", target: { op: "<=", value: TARGET_RSS_GROWTH_MB } },
      { name: "app", value: bytes / 1e6 / median(rows.map((r) => r.app)), unit: "MB/s" },
    ]);
  } finally {
    await stop();
  }
}

const bareMode = process.argv[2] === "--bare";
(bareMode ? serveBare(Number(process.argv[3]), process.argv[4]!) : main()).then(
  () => (bareMode ? undefined : process.exit(0)),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
