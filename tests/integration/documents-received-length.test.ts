import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { receiveDocument } from "@/lib/documents/pipeline";
import { useDocumentServices } from "@/lib/documents/services";
import { JOB_DEFINITIONS } from "@/lib/jobs/registry";
import { documentScanJob } from "@/lib/documents/scan";
import { LocalStorage } from "@/lib/files";

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "tg-received-length-"));
  useDocumentServices({ storage: new LocalStorage(root), scanner: null });
});

afterAll(async () => {
  useDocumentServices({});
  await rm(root, { recursive: true, force: true });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

describe("an upload is exactly the bytes it declared (FILE-1)", () => {
  const csv = Buffer.from("name,count\nalpha,1\nbeta,2\n");

  it("a body that ends before its Content-Length is refused and nothing is kept in quarantine", async () => {
    const received = receiveDocument({ orgId: "org_len", source: [csv], declaredType: "text/csv", name: "counts.csv", sizeHint: csv.byteLength + 100 });
    await expect(received).rejects.toMatchObject({ code: "invalid_input", message: expect.stringContaining(`${csv.byteLength} of its declared ${csv.byteLength + 100} bytes`) });
    expect(await filesUnder(root)).toEqual([]);
  });

  it("a body of exactly its declared length is received", async () => {
    const prepared = await receiveDocument({ orgId: "org_len", source: [csv], declaredType: "text/csv", name: "counts.csv", sizeHint: csv.byteLength });
    expect(prepared.file.bytes).toBe(csv.byteLength);
    expect(await filesUnder(root)).toHaveLength(1);
  });
});

describe("the workers run every job kind the product defines (FILE-2)", () => {
  it("the document scan job is registered, so `npm run worker` and the in-process worker scan uploads", () => {
    expect(JOB_DEFINITIONS).toContain(documentScanJob);
    expect(new Set(JOB_DEFINITIONS.map((d) => d.kind)).size).toBe(JOB_DEFINITIONS.length);
  });
});
