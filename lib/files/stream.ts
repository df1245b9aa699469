import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { AppError } from "@/lib/errors";
import { SNIFF_BYTES } from "./type-check";

/**
 * FILE-1 / FILE-4: an upload passes through here once, chunk by chunk: hashed (SHA-256, the content_hash), counted,
 * cut off as soon as it passes the size limit, and its first bytes kept for the type checks. Nothing holds more than
 * the head and one chunk in memory.
 */

export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export class TooLargeError extends AppError {
  constructor(readonly limit: number) {
    super("payload_too_large", `The file is larger than the ${formatBytes(limit)} limit.`);
    this.name = "TooLargeError";
  }
}

export interface StreamOptions {
  /** Largest accepted size in bytes; one byte more aborts the stream with TooLargeError. */
  maxBytes: number;
  /** How many leading bytes to capture (default SNIFF_BYTES). */
  headBytes?: number;
  /**
   * Called once with the head (before any byte reaches the sink) when `headBytes` have arrived, or at the end for a
   * smaller file (`complete`). Throwing here (e.g. a type refusal) aborts the stream before the sink sees anything.
   */
  onHead?: (head: Buffer, complete: boolean) => void | Promise<void>;
  /** Called with every chunk, in order (e.g. createTextValidator().update); throwing aborts the stream. */
  onChunk?: (chunk: Uint8Array) => void;
}

export interface StreamResult {
  /** SHA-256 of the content, lowercase hex. */
  sha256: string;
  bytes: number;
  /** The first `headBytes` bytes (all of them for a smaller file). */
  head: Buffer;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

export async function* iterate(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (Symbol.asyncIterator in source || Symbol.iterator in source) {
    yield* source as AsyncIterable<Uint8Array>;
    return;
  }
  const reader = (source as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // Stopping early (limit reached, sink failed) cancels the source instead of leaving it half read.
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** Lets go of a source the sink gave up on, read or not (a request body is cancelled, a file stream closed). */
async function release(source: ByteSource): Promise<void> {
  try {
    if (source instanceof Readable) source.destroy();
    else if (typeof (source as ReadableStream).cancel === "function") {
      if (!(source as ReadableStream).locked) await (source as ReadableStream).cancel();
    } else if (Symbol.asyncIterator in source) await (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]().return?.();
  } catch {
    // Already closed or errored: nothing to release.
  }
}

/**
 * Streams `source` into `sink` (which consumes a Node Readable, e.g. ObjectStorage.put) and resolves with the hash,
 * size and head once the sink has finished. If the limit is passed or a hook throws, the sink's stream errors with
 * that error, the source is cancelled, and this rejects with it (the caller deletes whatever the sink began).
 */
export async function streamToSink(source: ByteSource, sink: (body: Readable) => Promise<void>, options: StreamOptions): Promise<StreamResult> {
  const headBytes = options.headBytes ?? SNIFF_BYTES;
  const hash = createHash("sha256");
  let bytes = 0;
  const headParts: Buffer[] = [];
  let headLength = 0;
  let head: Buffer | null = null;
  let failure: unknown = null;
  let done = false;

  async function* metered(): AsyncGenerator<Buffer> {
    try {
      let pending: Buffer[] = [];
      for await (const raw of iterate(source)) {
        const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
        if (chunk.byteLength === 0) continue;
        bytes += chunk.byteLength;
        // Checked before the chunk goes anywhere: the limit holds while streaming, not after.
        if (bytes > options.maxBytes) throw new TooLargeError(options.maxBytes);
        hash.update(chunk);
        options.onChunk?.(chunk);
        if (head === null) {
          const take = Math.min(headBytes - headLength, chunk.byteLength);
          headParts.push(chunk.subarray(0, take));
          headLength += take;
          pending.push(chunk);
          if (headLength < headBytes) continue;
          head = Buffer.concat(headParts, headLength);
          await options.onHead?.(head, false);
          yield* pending;
          pending = [];
          continue;
        }
        yield chunk;
      }
      if (head === null) {
        head = Buffer.concat(headParts, headLength);
        await options.onHead?.(head, true);
        yield* pending;
      }
      done = true;
    } catch (error) {
      failure = error;
      throw error;
    }
  }

  const body = Readable.from(metered(), { objectMode: false, highWaterMark: 64 * 1024 });
  try {
    await sink(body);
  } catch (error) {
    await release(source);
    throw failure ?? error;
  } finally {
    body.destroy();
  }
  if (failure) throw failure;
  // A sink that returns early would leave the hash and size describing part of the file.
  if (!done) throw new Error("The sink stopped reading before the end of the file.");
  return { sha256: hash.digest("hex"), bytes, head: head ?? Buffer.alloc(0) };
}
