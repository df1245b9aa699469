import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startClamd, type Clamd } from "@/tests/helpers/clamd";

// FILE-2 / OBS-4: readiness lists the virus scanner only when one is configured, and then requires it.

let clamd: Clamd;

beforeAll(async () => {
  clamd = await startClamd();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await clamd?.stop();
});

async function healthWith(environment: Record<string, string>) {
  vi.unstubAllEnvs();
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  vi.resetModules();
  return import("@/lib/health");
}

describe("readiness and the virus scanner", () => {
  it("no scanner configured: not listed (status off is not a readiness failure)", async () => {
    const health = await healthWith({ CLAMAV_HOST: "", CLAMAV_SOCKET: "", CLAMSCAN_PATH: "" });
    expect(await health.scannerCheck()).toBeNull();
  });

  it("scanning disabled: not listed even with a scanner configured", async () => {
    const health = await healthWith({ ENABLE_VIRUS_SCAN: "false", CLAMAV_HOST: clamd.host, CLAMAV_PORT: String(clamd.port) });
    expect(await health.scannerCheck()).toBeNull();
  });

  it("a configured clamd that answers is ok and required; once stopped it is down", async () => {
    const health = await healthWith({ CLAMAV_HOST: clamd.host, CLAMAV_PORT: String(clamd.port), CLAMAV_TIMEOUT_MS: "2000" });
    const ok = await health.scannerCheck();
    expect(ok).toMatchObject({ status: "ok", required: true, detail: expect.stringMatching(/^ClamAV \d\S* \(clamd\)/) });
    // Readiness is public: the scanner's address stays out of it.
    expect(ok!.detail).not.toContain(String(clamd.port));
    await clamd.stop();
    expect(await health.scannerCheck()).toMatchObject({ status: "down", required: true, detail: "The virus scanner did not answer." });
  });
});
