import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { streamToSink, TooLargeError } from "@/lib/files/stream";
import { checkFileType, UnsupportedFileTypeError } from "@/lib/files/type-check";

// FILE-1 / FILE-4: hash, size and head computed while streaming; the size cap holds while streaming; nothing buffered whole.

const MB = 1024 * 1024;

async function* generated(total: number, chunk = 64 * 1024, onChunk?: (sent: number) => void): AsyncGenerator<Uint8Array> {
  for (let sent = 0; sent < total; sent += chunk) {
    onChunk?.(sent);
    yield Buffer.alloc(Math.min(chunk, total - sent), (sent / chunk) % 256);
  }
}

function discard(counter?: { bytes: number }) {
  return (body: Readable) =>
    pipeline(
      body,
      new Writable({
        write(chunk: Buffer, _e, done) {
          if (counter) counter.bytes += chunk.byteLength;
          done();
        },
      }),
    );
}

describe("streamToSink", () => {
  it("computes the SHA-256, the size and the head of what it passes on", async () => {
    const parts = [randomBytes(1000), randomBytes(70_000), randomBytes(5)];
    const written: Buffer[] = [];
    const result = await streamToSink(
      parts,
      (body) =>
        pipeline(
          body,
          new Writable({
            write(chunk: Buffer, _e, done) {
              written.push(chunk);
              done();
            },
          }),
        ),
      { maxBytes: MB },
    );
    const all = Buffer.concat(parts);
    expect(result.sha256).toBe(createHash("sha256").update(all).digest("hex"));
    expect(result.bytes).toBe(all.byteLength);
    expect(result.head.equals(all.subarray(0, 64 * 1024))).toBe(true);
    expect(Buffer.concat(written).equals(all)).toBe(true);
  });

  it("accepts a web ReadableStream (a Request body)", async () => {
    const body = new Request("http://localhost/", { method: "POST", body: "hello world" }).body!;
    const result = await streamToSink(body, discard(), { maxBytes: 100 });
    expect(result).toMatchObject({ bytes: 11, sha256: createHash("sha256").update("hello world").digest("hex") });
    expect(result.head.toString()).toBe("hello world");
  });

  it("the size cap holds while streaming: it aborts at the first byte over, and stops reading the source", async () => {
    let pulled = 0;
    const counter = { bytes: 0 };
    const source = generated(100 * MB, 64 * 1024, (sent) => (pulled = sent));
    const error = await streamToSink(source, discard(counter), { maxBytes: 2 * MB }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooLargeError);
    expect((error as TooLargeError).limit).toBe(2 * MB);
    expect((error as TooLargeError).message).toBe("The file is larger than the 2 MB limit.");
    expect((error as TooLargeError).code).toBe("payload_too_large");
    expect(counter.bytes).toBeLessThanOrEqual(2 * MB);
    expect(pulled).toBeLessThan(3 * MB);
  });

  it("exactly the limit is accepted", async () => {
    expect((await streamToSink(generated(MB), discard(), { maxBytes: MB })).bytes).toBe(MB);
  });

  it("a refusal from the head check aborts before the sink sees a byte", async () => {
    const counter = { bytes: 0 };
    const png = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
    const error = await streamToSink([png, randomBytes(200_000)], discard(counter), {
      maxBytes: MB,
      onHead: async (head, complete) => {
        await checkFileType({ declaredType: "application/pdf", name: "x.pdf", head, complete });
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedFileTypeError);
    expect(counter.bytes).toBe(0);
  });

  it("a small file's head is checked at its end, marked complete", async () => {
    const seen: [number, boolean][] = [];
    await streamToSink([Buffer.from("abc")], discard(), { maxBytes: 10, onHead: (head, complete) => void seen.push([head.byteLength, complete]) });
    expect(seen).toEqual([[3, true]]);
  });

  it("a sink that fails rejects with its error and cancels the source", async () => {
    let finished = false;
    const source = (async function* () {
      try {
        for (;;) yield randomBytes(1024);
      } finally {
        finished = true;
      }
    })();
    const failingSink = async (body: Readable) => {
      for await (const _chunk of body) throw new Error("disk full");
    };
    await expect(streamToSink(source, failingSink, { maxBytes: MB })).rejects.toThrow("disk full");
    expect(finished).toBe(true);

    let cancelled = false;
    const unread = new ReadableStream<Uint8Array>({ pull: (c) => c.enqueue(randomBytes(10)), cancel: () => void (cancelled = true) });
    await expect(streamToSink(unread, async () => Promise.reject(new Error("storage down")), { maxBytes: MB })).rejects.toThrow("storage down");
    expect(cancelled).toBe(true);
  });

  it("streams 50 MB without holding it: resident memory grows far less than the file", async () => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    // One chunk reused, so the source itself makes no garbage: what grows is what the pipeline holds.
    const chunk = randomBytes(256 * 1024);
    async function* reused() {
      for (let sent = 0; sent < 50 * MB; sent += chunk.byteLength) {
        peak = Math.max(peak, process.memoryUsage().rss);
        yield chunk;
      }
    }
    const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
    const sink = (body: Readable) =>
      pipeline(
        body,
        new Writable({
          write(_chunk: Buffer, _e, done) {
            sample();
            done();
          },
        }),
      );
    const result = await streamToSink(reused(), sink, { maxBytes: 60 * MB });
    sample();
    expect(result.bytes).toBe(50 * MB);
    // Generous bound: buffering the file would add at least 50 MB.
    expect(peak - before).toBeLessThan(30 * MB);
  });
});
