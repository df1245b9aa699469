import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { receiveUpload } from "@/lib/files/receive";
import { FileNameError } from "@/lib/files/names";
import { TooLargeError } from "@/lib/files/stream";
import { UnsupportedFileTypeError } from "@/lib/files/type-check";
import { LocalStorage, S3Storage, storageKey, type ObjectStorage } from "@/lib/files/storage";
import { clamdScanner, scanFile } from "@/lib/files/scanner";
import { EICAR, startClamd, type Clamd } from "@/tests/helpers/clamd";
import { startS3Server, type S3Server } from "@/tests/helpers/s3-server";

// FILE-1..4 composed as the upload pipeline will: stream into quarantine with every check, scan with a real clamd,
// promote or delete. Refused files leave nothing in quarantine, on the local directory and on S3.

let root: string;
let clamd: Clamd;
let s3: S3Server;
const backends: Record<string, ObjectStorage> = {};

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tg-receive-"));
  [clamd, s3] = await Promise.all([startClamd(), startS3Server()]);
  backends.local = new LocalStorage(root);
  backends.s3 = new S3Storage({ bucket: s3.bucket, region: "us-east-1", endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
});

afterAll(async () => {
  (backends.s3 as S3Storage | undefined)?.destroy();
  await Promise.all([clamd?.stop(), s3?.stop()]);
  await rm(root, { recursive: true, force: true });
});

async function quarantineFiles(): Promise<string[]> {
  return readdir(path.join(root, "quarantine"), { recursive: true }).catch(() => []);
}

describe.each(["local", "s3"])("receiving an upload (%s)", (backend) => {
  const storage = () => backends[backend]!;
  const org = randomUUID();
  const scanner = () => clamdScanner({ host: clamd.host, port: clamd.port }, { timeoutMs: 10_000, maxBytes: clamd.streamMaxBytes });

  it("a clean file lands in quarantine with its hash, scans clean and is promoted", async () => {
    const id = randomUUID();
    const content = Buffer.from("name,amount\nAcme,12\n".repeat(5000));
    const received = await receiveUpload({ source: [content], declaredType: "text/csv", name: " Q3 export.csv ", maxBytes: 1024 * 1024, storage: storage(), key: storageKey("quarantine", org, id) });
    expect(received).toMatchObject({ name: "Q3 export.csv", kind: "csv", mime: "text/csv; charset=utf-8", bytes: content.byteLength });
    expect(received.sha256).toBe(createHash("sha256").update(content).digest("hex"));
    expect(await scanFile(await storage().get(received.key), scanner())).toMatchObject({ verdict: "clean" });
    await storage().promote(received.key, storageKey("files", org, id));
    expect(await storage().exists(received.key)).toBe(false);
    expect(await storage().exists(storageKey("files", org, id))).toBe(true);
  });

  it("EICAR passes the type checks as text, but its scan says infected and it is deleted", async () => {
    const key = storageKey("quarantine", org, randomUUID());
    const received = await receiveUpload({ source: [EICAR], declaredType: "text/plain", name: "eicar.txt", maxBytes: 1024, storage: storage(), key });
    const verdict = await scanFile(await storage().get(received.key), scanner());
    expect(verdict).toMatchObject({ verdict: "infected", signature: "TenantGuard.Test.EICAR.UNOFFICIAL" });
    await storage().delete(key);
    expect(await storage().exists(key)).toBe(false);
  });

  it.each([
    ["a PNG named .pdf", "application/pdf", "scan.pdf", Buffer.from("89504e470d0a1a0a0000000d4948445200000001", "hex"), UnsupportedFileTypeError],
    ["HTML declared as image/png", "image/png", "x.png", Buffer.from("<html><script>alert(1)</script>"), UnsupportedFileTypeError],
    ["an empty file", "application/pdf", "empty.pdf", Buffer.alloc(0), UnsupportedFileTypeError],
    ["a path-traversal name", "application/pdf", "../../etc/passwd.pdf", Buffer.from("%PDF-1.4\n"), FileNameError],
    ["a file over the limit", "application/pdf", "big.pdf", Buffer.concat([Buffer.from("%PDF-1.4\n"), randomBytes(300_000)]), TooLargeError],
    ["text with a NUL past the first 64 KB", "text/plain", "log.txt", Buffer.concat([Buffer.alloc(100_000, "a"), Buffer.from([0])]), UnsupportedFileTypeError],
    // Only known once the whole file is stored: the stored object must be removed again.
    ["text ending in half a character", "text/plain", "cut.txt", Buffer.concat([Buffer.alloc(100_000, "a"), Buffer.from([0xc3])]), UnsupportedFileTypeError],
  ])("%s is refused and nothing stays in quarantine", async (_label, declaredType, name, bytes, kind) => {
    const key = storageKey("quarantine", org, randomUUID());
    const chunks = [bytes.subarray(0, 70_000), bytes.subarray(70_000)].filter((c) => c.byteLength > 0);
    await expect(receiveUpload({ source: chunks, declaredType, name, maxBytes: 200_000, storage: storage(), key })).rejects.toBeInstanceOf(kind);
    expect(await storage().exists(key)).toBe(false);
    if (backend === "local") expect((await quarantineFiles()).filter((f) => f.includes(".part"))).toEqual([]);
  });
});
