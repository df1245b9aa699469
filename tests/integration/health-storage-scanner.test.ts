import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { DeleteBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { freePort, startClamd, type Clamd } from "@/tests/helpers/clamd";
import { startS3Server, type S3Server } from "@/tests/helpers/s3-server";

// OBS-4 / FILE-2 / FILE-3: /health/status reports file storage (local, or S3 through a HeadBucket against a real
// s3rver) and the virus scanner (off, clamd up with its signature version, down); /health/ready says when either is
// down. Nothing in them names a path, an address, a bucket or a credential.

let clamd: Clamd;
let root: string;

beforeAll(async () => {
  // Opening (and on PGlite migrating) the database is start-up, not readiness: done before the checks.
  await (await import("@/lib/db")).pingDatabase();
  clamd = await startClamd();
  root = await mkdtemp(path.join(os.tmpdir(), "tg-health-storage-"));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await clamd?.stop();
  await rm(root, { recursive: true, force: true });
  const { closeDb } = await import("@/lib/db");
  await closeDb();
});

/** lib/health (and the /health routes) as a process configured with `environment` would have them. */
async function healthWith(environment: Record<string, string>) {
  vi.unstubAllEnvs();
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  vi.resetModules();
  return { health: await import("@/lib/health"), status: (await import("@/app/health/status/route")).GET, ready: (await import("@/app/health/ready/route")).GET };
}

const noScanner = { CLAMAV_HOST: "", CLAMAV_SOCKET: "", CLAMSCAN_PATH: "" };
const s3Env = (s3: S3Server, over: Record<string, string> = {}) => ({
  S3_BUCKET: s3.bucket,
  S3_ACCESS_KEY_ID: s3.accessKeyId,
  S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  S3_ENDPOINT: s3.endpoint,
  ...noScanner,
  ...over,
});

function expectNothingSecret(text: string, ...secrets: string[]) {
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe("storage health (FILE-3, OBS-4)", () => {
  it("local storage: ok when STORAGE_ROOT is a usable directory, down when it is not; never the path", async () => {
    const good = path.join(root, "storage");
    let { health } = await healthWith({ STORAGE_ROOT: good, ...noScanner });
    expect(await health.storageCheck()).toEqual({ backend: "local", status: "ok", detail: expect.stringMatching(/readable and writable/) });
    const blocked = path.join(root, "a-file");
    await writeFile(blocked, "not a directory");
    ({ health } = await healthWith({ STORAGE_ROOT: blocked, ...noScanner }));
    const down = await health.storageCheck();
    expect(down).toMatchObject({ backend: "local", status: "down" });
    expectNothingSecret(JSON.stringify(down), root, "a-file");
    // Readiness says so, without taking the instance out of rotation (everything but files still serves).
    const report = await health.readiness();
    expect(report.checks.storage).toMatchObject({ status: "down", required: false });
    expect(report.status).toBe("ready");
  });

  it("S3: ok while the bucket answers a HeadBucket; down once the bucket is gone, with wrong credentials, or with the server stopped", async () => {
    const s3 = await startS3Server("tg-health-bucket");
    try {
      let { health, status } = await healthWith(s3Env(s3));
      expect(await health.storageCheck()).toEqual({ backend: "s3", status: "ok", detail: "S3-compatible bucket reachable." });
      const body = JSON.stringify(await (await status()).json());
      expect(JSON.parse(body).services.storage).toEqual({ backend: "s3", status: "ok", detail: "S3-compatible bucket reachable." });
      expectNothingSecret(body, s3.bucket, s3.endpoint, s3.secretAccessKey, String(new URL(s3.endpoint).port));

      ({ health } = await healthWith(s3Env(s3, { S3_ACCESS_KEY_ID: "NOT-A-KEY", S3_SECRET_ACCESS_KEY: "not-the-secret" })));
      const refused = await health.storageCheck();
      expect(refused).toEqual({ backend: "s3", status: "down", detail: "The storage service refused the configured credentials." });

      await new S3Client({ region: "us-east-1", endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } }).send(
        new DeleteBucketCommand({ Bucket: s3.bucket }),
      );
      ({ health, status } = await healthWith(s3Env(s3)));
      expect(await health.storageCheck()).toEqual({ backend: "s3", status: "down", detail: "The configured bucket does not exist." });
      const gone = JSON.stringify(await (await status()).json());
      expect(JSON.parse(gone).services.storage.status).toBe("down");
      expectNothingSecret(gone, s3.bucket, s3.endpoint);
    } finally {
      await s3.stop();
    }
    const { health } = await healthWith(s3Env(s3));
    expect(await health.storageCheck()).toEqual({ backend: "s3", status: "down", detail: "The storage service did not answer." });
  });
});

describe("scanner health (FILE-2, OBS-4)", () => {
  it("no scanner configured: /health/status says off and why; readiness does not list it", async () => {
    const { health, status } = await healthWith({ STORAGE_ROOT: root, ...noScanner });
    const body = (await (await status()).json()) as { services: { scanner: { status: string; detail: string } } };
    expect(body.services.scanner).toEqual({ status: "off", detail: expect.stringMatching(/No virus scanner is configured.*never served/), signatureVersion: null });
    expect((await health.readiness()).checks.virusScanner).toBeUndefined();
  });

  it("clamd up: ok with its engine and signature version; stopped: /health/status says down and /health/ready answers 503 naming the scanner", async () => {
    const own = await startClamd();
    const { status, ready } = await healthWith({ STORAGE_ROOT: root, CLAMAV_HOST: own.host, CLAMAV_PORT: String(own.port), CLAMAV_TIMEOUT_MS: "2000" });
    const up = (await (await status()).json()) as { services: { scanner: { status: string; detail: string; signatureVersion: string | null } } };
    expect(up.services.scanner).toMatchObject({ status: "ok", detail: expect.stringMatching(/^ClamAV \d\S* \(clamd\)/) });
    // The test clamd loads only the project's EICAR hash database, which carries no version: clamd then answers
    // VERSION without one (a real deployment's daily database gives `ClamAV 1.4.3/27512/...`, parsed by lib/files).
    const version = up.services.scanner.signatureVersion;
    if (version === null) expect(up.services.scanner.detail).not.toMatch(/signatures/);
    else expect(up.services.scanner.detail).toContain(`signatures ${version}`);
    const readyUp = await ready();
    expect(readyUp.status).toBe(200);
    expect(((await readyUp.json()) as { checks: Record<string, { status: string }> }).checks.virusScanner!.status).toBe("ok");

    await own.stop();
    const downBody = JSON.stringify(await (await status()).json());
    expect(JSON.parse(downBody).services.scanner).toEqual({ status: "down", detail: expect.stringMatching(/did not answer/), signatureVersion: null });
    expectNothingSecret(downBody, String(own.port), own.socket);
    const readyDown = await ready();
    expect(readyDown.status).toBe(503);
    const report = (await readyDown.json()) as { status: string; checks: Record<string, { status: string; required: boolean; detail: string }> };
    expect(report.status).toBe("unavailable");
    expect(report.checks.virusScanner).toEqual({ status: "down", required: true, detail: "The virus scanner did not answer." });
    expectNothingSecret(JSON.stringify(report), String(own.port));
  });
});

describe("scanner signature version (FILE-2, OBS-4)", () => {
  it("a clamd whose VERSION names its signature database: /health/status reports that version", async () => {
    // A server speaking clamd's VERSION exchange as a clamd with the daily database answers it (the test clamd has
    // only the EICAR hash database, which carries no version).
    const server = net.createServer((socket) => {
      socket.once("data", (d) => {
        if (d.toString().startsWith("zVERSION") || d.toString().startsWith("nVERSION")) socket.end("ClamAV 1.4.3/27512/Mon Dec  1 08:21:03 2026\0");
        else socket.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const { status } = await healthWith({ STORAGE_ROOT: root, CLAMAV_HOST: "127.0.0.1", CLAMAV_PORT: String(port), CLAMAV_TIMEOUT_MS: "2000" });
      const body = (await (await status()).json()) as { services: { scanner: unknown } };
      expect(body.services.scanner).toEqual({ status: "ok", detail: "ClamAV 1.4.3 (clamd), signatures 27512", signatureVersion: "27512" });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("rate-limit backend health (RL-2, OBS-4)", () => {
  it("Redis unreachable: readiness reports rate limiting degraded, not required, and the instance stays ready", async () => {
    const { closeDefaultRateLimitStore } = await import("@/lib/ratelimit/store");
    await closeDefaultRateLimitStore();
    const { health } = await healthWith({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, STORAGE_ROOT: root, ...noScanner });
    const { createRateLimiter } = await import("@/lib/ratelimit");
    try {
      const limiter = createRateLimiter({ name: "health-probe", limit: 100, window: "60 s" });
      for (let i = 0; i < 5; i++) expect((await limiter.limit(`probe-${i}`)).success).toBe(true); // answered from memory
      expect(health.rateLimitCheck()).toEqual({ status: "degraded", required: false, detail: "redis unreachable: serving from the in-memory fallback." });
      const report = await health.readiness();
      expect(report.checks.rateLimiting).toMatchObject({ status: "degraded", required: false });
      expect(report.status).toBe(report.checks.database!.status === "ok" ? "ready" : "unavailable");
      expect(report.checks.database!.status).toBe("ok");
    } finally {
      await closeDefaultRateLimitStore();
    }
  });
});
