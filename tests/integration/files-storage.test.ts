import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { randomBytes, randomUUID } from "node:crypto";
import { LocalStorage, S3Storage, StorageKeyError, StorageNotFoundError, containedPath, storageKey, type ObjectStorage } from "@/lib/files/storage";
import { TooLargeError, streamToSink } from "@/lib/files/stream";
import { startS3Server, type S3Server } from "@/tests/helpers/s3-server";

// FILE-3: one contract, run against the local directory and a real S3-compatible server (s3rver) on 127.0.0.1.

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function* generated(total: number, chunk = 256 * 1024): AsyncGenerator<Uint8Array> {
  for (let sent = 0; sent < total; sent += chunk) yield Buffer.alloc(Math.min(chunk, total - sent), sent % 251);
}

let root: string;
let s3: S3Server;
const backends: Record<string, () => ObjectStorage> = {};

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tg-storage-"));
  s3 = await startS3Server();
  const local = new LocalStorage(path.join(root, "storage"));
  const remote = new S3Storage({ bucket: s3.bucket, region: "us-east-1", endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, partBytes: 5 * 1024 * 1024 });
  backends.local = () => local;
  backends.s3 = () => remote;
});

afterAll(async () => {
  (backends.s3?.() as S3Storage | undefined)?.destroy();
  await s3?.stop();
  await rm(root, { recursive: true, force: true });
});

describe.each(["local", "s3"])("storage contract (%s)", (backend) => {
  const storage = () => backends[backend]!();
  const org = randomUUID();

  it("stores, reads back, reports and deletes an object", async () => {
    const key = storageKey("quarantine", org, randomUUID());
    expect(await storage().exists(key)).toBe(false);
    await storage().put(key, Readable.from([Buffer.from("hello "), Buffer.from("world")]), { contentType: "text/plain" });
    expect(await storage().exists(key)).toBe(true);
    expect(await text(await storage().get(key))).toBe("hello world");
    await storage().delete(key);
    expect(await storage().exists(key)).toBe(false);
    await storage().delete(key); // idempotent
  });

  it("promotes a quarantined object to files: the quarantine copy is gone", async () => {
    const id = randomUUID();
    const from = storageKey("quarantine", org, id);
    const to = storageKey("files", org, id);
    await storage().put(from, Readable.from([Buffer.from("clean bytes")]), { contentType: "application/pdf" });
    await storage().promote(from, to);
    expect(await storage().exists(from)).toBe(false);
    expect(await text(await storage().get(to))).toBe("clean bytes");
  });

  it("a missing object is StorageNotFoundError, for get and promote", async () => {
    const key = storageKey("files", org, randomUUID());
    await expect(storage().get(key)).rejects.toBeInstanceOf(StorageNotFoundError);
    await expect(storage().promote(storageKey("quarantine", org, randomUUID()), key)).rejects.toBeInstanceOf(StorageNotFoundError);
  });

  it("refuses keys that are not generated storage keys: traversal, absolute, NUL, other areas, dots", async () => {
    for (const key of ["../etc/passwd", "files/../../etc/passwd", "/etc/passwd", "files/a\0b", "files/", "secrets/x", "files/.hidden", "files/a/./b", "files\\a", "files/a..b", ""]) {
      await expect(storage().put(key, Readable.from([Buffer.from("x")]), { contentType: "text/plain" }), key).rejects.toBeInstanceOf(StorageKeyError);
      await expect(storage().get(key), key).rejects.toBeInstanceOf(StorageKeyError);
      await expect(storage().delete(key), key).rejects.toBeInstanceOf(StorageKeyError);
    }
  });

  it("streams a 12 MB body in parts and a failed body leaves no object behind", async () => {
    const key = storageKey("quarantine", org, randomUUID());
    const result = await streamToSink(generated(12 * 1024 * 1024), (body) => storage().put(key, body, { contentType: "application/pdf" }), { maxBytes: 20 * 1024 * 1024 });
    expect(result.bytes).toBe(12 * 1024 * 1024);
    let length = 0;
    for await (const chunk of await storage().get(key)) length += (chunk as Buffer).byteLength;
    expect(length).toBe(12 * 1024 * 1024);

    const failedKey = storageKey("quarantine", org, randomUUID());
    await expect(
      streamToSink(generated(12 * 1024 * 1024), (body) => storage().put(failedKey, body, { contentType: "application/pdf" }), { maxBytes: 7 * 1024 * 1024 }),
    ).rejects.toBeInstanceOf(TooLargeError);
    expect(await storage().exists(failedKey)).toBe(false);
  });
});

describe("local storage containment", () => {
  it("the resolved path must stay inside the root: .., absolute paths and NUL are refused before any key format check", () => {
    const base = path.join(root, "contained");
    for (const key of ["../x", "files/../../x", "/etc/passwd", "files/\0", "files/a/../../../x", ".", "files/."]) {
      expect(() => containedPath(base, key), key).toThrow(StorageKeyError);
    }
    expect(containedPath(base, "files/a/b")).toBe(path.join(path.resolve(base), "files/a/b"));
  });

  it("a symlinked directory inside the root cannot carry a write or a read outside it", async () => {
    const storageRoot = path.join(root, "symlinked");
    const outside = path.join(root, "outside");
    await mkdir(path.join(storageRoot, "files"), { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(outside, "secret"), "outside the root");
    await symlink(outside, path.join(storageRoot, "files", "escape"));
    const local = new LocalStorage(storageRoot);
    await expect(local.put("files/escape/planted", Readable.from([Buffer.from("x")]), { contentType: "text/plain" })).rejects.toBeInstanceOf(StorageKeyError);
    await expect(local.get("files/escape/secret")).rejects.toBeInstanceOf(StorageKeyError);
    await expect(local.delete("files/escape/secret")).rejects.toBeInstanceOf(StorageKeyError);
    expect(await readdir(outside)).toEqual(["secret"]);
  });

  it("a symlink in place of a stored file is not followed on read", async () => {
    const storageRoot = path.join(root, "linkfile");
    await mkdir(path.join(storageRoot, "files", "org"), { recursive: true });
    const secret = path.join(root, "secret-file");
    await writeFile(secret, "do not serve");
    await symlink(secret, path.join(storageRoot, "files", "org", "doc"));
    const local = new LocalStorage(storageRoot);
    await expect(local.get("files/org/doc")).rejects.toBeInstanceOf(StorageKeyError);
    expect(await readFile(secret, "utf8")).toBe("do not serve");
  });

  it("a failed write leaves no partial file in the tree", async () => {
    const storageRoot = path.join(root, "partial");
    const local = new LocalStorage(storageRoot);
    const failing = Readable.from(
      (async function* () {
        yield randomBytes(1024);
        throw new Error("client went away");
      })(),
    );
    await expect(local.put("quarantine/org/doc", failing, { contentType: "application/pdf" })).rejects.toThrow("client went away");
    expect(await readdir(path.join(storageRoot, "quarantine", "org"))).toEqual([]);
  });
});
