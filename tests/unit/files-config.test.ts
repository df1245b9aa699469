import { afterEach, describe, expect, it, vi } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ConfigurationError, parseEnv } from "@/lib/env";
import { PRODUCTION_ENV } from "../helpers/production-env";

// FILE-2 / FILE-3 / ENC-4: file storage, download-URL and scanner settings are checked at start, and production
// never signs download URLs with a key only one instance knows.

const production = PRODUCTION_ENV;

function refusal(source: Record<string, string>): string {
  try {
    parseEnv(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error("configuration was accepted");
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe("file settings", () => {
  it("defaults: local storage under .data/storage, scanning on, no scanner", () => {
    expect(parseEnv({})).toMatchObject({ STORAGE_ROOT: ".data/storage", ENABLE_VIRUS_SCAN: true, S3_FORCE_PATH_STYLE: true, CLAMAV_PORT: 3310 });
    expect(parseEnv({ ENABLE_VIRUS_SCAN: "false" }).ENABLE_VIRUS_SCAN).toBe(false);
  });

  it("S3 storage must be configured whole, and over https in production (loopback excepted)", () => {
    expect(refusal({ S3_BUCKET: "docs" })).toMatch(/S3 storage is partly configured/);
    const s3 = { S3_BUCKET: "docs", S3_ACCESS_KEY_ID: "k", S3_SECRET_ACCESS_KEY: "s" };
    expect(refusal({ ...production, ...s3, S3_ENDPOINT: "http://storage.example.com", FILE_URL_SECRET: "x".repeat(32) })).toMatch(/S3_ENDPOINT must be https/);
    expect(parseEnv({ ...production, ...s3, S3_ENDPOINT: "http://127.0.0.1:9000", FILE_URL_SECRET: "x".repeat(32) }).S3_BUCKET).toBe("docs");
  });

  it("a download-URL secret shorter than 32 bytes is refused", () => {
    expect(refusal({ FILE_URL_SECRET: "too-short" })).toMatch(/FILE_URL_SECRET must be at least 32 bytes/);
  });

  it("clamd by TCP or by socket, not both", () => {
    expect(refusal({ CLAMAV_HOST: "127.0.0.1", CLAMAV_SOCKET: "/run/clamav/clamd.ctl" })).toMatch(/not both/);
  });

  it("production without FILE_URL_SECRET refuses to sign or verify download URLs", async () => {
    for (const [name, value] of Object.entries(production)) vi.stubEnv(name, value);
    vi.stubEnv("FILE_URL_SECRET", "");
    vi.resetModules();
    const { loadDownloadSecret, signDownloadToken } = await import("@/lib/files/signed-url");
    const dir = await mkdtemp(path.join(os.tmpdir(), "tg-url-secret-"));
    await expect(loadDownloadSecret(path.join(dir, "never-written.json"))).rejects.toThrow(/FILE_URL_SECRET is required in production/);
    await expect(signDownloadToken({ documentId: "doc", orgId: "org" })).rejects.toThrow(/FILE_URL_SECRET is required in production/);
    await rm(dir, { recursive: true, force: true });
  });
});
