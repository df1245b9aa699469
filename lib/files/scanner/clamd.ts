import net from "node:net";
import { iterate, type ByteSource } from "../stream";
import type { Scanner, ScanVerdict } from "./types";
import { failed, verdictFromSignature } from "./types";

export type ClamdAddress = { host: string; port: number } | { socket: string };

export interface ClamdOptions {
  /** With no progress (bytes written or answer received) for this long, the scan fails. */
  timeoutMs: number;
  /** The server's StreamMaxLength: a larger file is a failed scan before a byte is sent past it. */
  maxBytes: number;
  /** Bytes per INSTREAM frame. */
  chunkBytes?: number;
}

/** Parses clamd's answer to INSTREAM. Anything but the two exact success shapes is a failed scan (FILE-2: fail closed). */
export function parseInstreamReply(reply: string, scanner: string): ScanVerdict {
  const text = reply.replace(/\0+$/, "").trim();
  if (text === "stream: OK") return { verdict: "clean", scanner, signatureVersion: null };
  const found = /^stream: ([A-Za-z0-9][\x21-\x7E ]{0,200}) FOUND$/.exec(text);
  if (found) return verdictFromSignature(found[1]!.trim(), scanner);
  if (/size limit exceeded/i.test(text)) return failed(scanner, "The file is larger than the scanner's stream limit.");
  if (/ERROR$/.test(text)) return failed(scanner, `The scanner reported an error: ${text.slice(0, 200)}`);
  return failed(scanner, `The scanner gave an answer it should not give: ${JSON.stringify(text.slice(0, 100))}`);
}

function connect(address: ClamdAddress): net.Socket {
  return "socket" in address ? net.createConnection({ path: address.socket }) : net.createConnection({ host: address.host, port: address.port });
}

function describe(address: ClamdAddress): string {
  return "socket" in address ? `clamd (${address.socket})` : `clamd (${address.host}:${address.port})`;
}

/**
 * Sends one command and collects the NUL-terminated answer. `body` (INSTREAM) is framed as clamd expects: each chunk
 * preceded by its length as 4 bytes big-endian, then a zero length. Never throws: resolves with the reply text or an
 * error. `complete` says whether the whole body and its terminator were written before the answer came.
 */
function exchange(
  address: ClamdAddress,
  command: string,
  options: { timeoutMs: number; body?: ByteSource; chunkBytes: number; maxBytes: number },
): Promise<{ reply: string; complete: boolean } | { error: string }> {
  return new Promise((resolve) => {
    const socket = connect(address);
    const received: Buffer[] = [];
    let settled = false;
    let complete = options.body === undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (result: { reply: string; complete: boolean } | { error: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const progress = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish({ error: `The scanner did not answer within ${options.timeoutMs} ms.` }), options.timeoutMs);
    };
    const answer = () => {
      const text = Buffer.concat(received).toString("utf8");
      if (text.length === 0) finish({ error: "The scanner closed the connection without an answer." });
      else finish({ reply: text, complete });
    };
    progress();
    socket.on("data", (data) => {
      received.push(data);
      progress();
      if (data.includes(0)) answer();
      else if (Buffer.concat(received).byteLength > 4096) finish({ error: "The scanner's answer is too long." });
    });
    socket.on("end", answer);
    socket.on("close", answer);
    socket.on("error", (error) => {
      // clamd closes the connection when a stream passes its limit; its answer may already be here.
      if (received.length > 0) answer();
      else finish({ error: `The scanner could not be reached: ${(error as NodeJS.ErrnoException).code ?? error.message}` });
    });
    const write = (data: Buffer) =>
      new Promise<void>((ok, fail) => {
        if (settled || socket.destroyed) return fail(new Error("closed"));
        socket.write(data, (error) => (error ? fail(error) : (progress(), ok())));
      });
    socket.once("connect", () => {
      void (async () => {
        try {
          await write(Buffer.from(`z${command}\0`));
          if (!options.body) return;
          let sent = 0;
          for await (const raw of iterate(options.body)) {
            for (let offset = 0; offset < raw.byteLength; offset += options.chunkBytes) {
              const piece = raw.subarray(offset, offset + options.chunkBytes);
              sent += piece.byteLength;
              if (sent > options.maxBytes) {
                finish({ error: "The file is larger than the scanner's stream limit." });
                return;
              }
              const header = Buffer.alloc(4);
              header.writeUInt32BE(piece.byteLength, 0);
              await write(header);
              await write(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
            }
          }
          // Set before the terminator is queued: an answer handled after this point came after the whole file.
          complete = true;
          await write(Buffer.alloc(4));
        } catch (error) {
          // A write failed (the scanner hung up) or the source failed: whatever the scanner said, it is not clean.
          if (!settled && received.length === 0 && !(error instanceof Error && error.message === "closed")) {
            finish({ error: `The file could not be sent to the scanner: ${(error as Error).message}` });
          }
        }
      })();
    });
  });
}

/** FILE-2: a clamd client (TCP or Unix socket). */
export function clamdScanner(address: ClamdAddress, options: ClamdOptions): Scanner {
  const name = describe(address);
  const chunkBytes = Math.max(1, Math.min(options.chunkBytes ?? 64 * 1024, options.maxBytes));
  return {
    name,
    async scan(source: ByteSource): Promise<ScanVerdict> {
      const result = await exchange(address, "INSTREAM", { timeoutMs: options.timeoutMs, body: source, chunkBytes, maxBytes: options.maxBytes });
      if ("error" in result) return failed(name, result.error);
      const verdict = parseInstreamReply(result.reply, name);
      // "OK" before the whole file arrived means the scanner did not see all of it.
      if (verdict.verdict === "clean" && !result.complete) return failed(name, "The scanner answered before it received the whole file.");
      if (verdict.verdict !== "clean" && verdict.verdict !== "infected") return verdict;
      return { ...verdict, signatureVersion: await this.version().then((v) => v.signatureVersion, () => null) };
    },
    async version() {
      const result = await exchange(address, "VERSION", { timeoutMs: options.timeoutMs, chunkBytes, maxBytes: 0 });
      if ("error" in result) throw new Error(result.error);
      const text = result.reply.replace(/\0+$/, "").trim();
      const match = /^ClamAV ([0-9][\w.+~-]*)(?:\/(\d+)(?:\/.*)?)?$/.exec(text);
      if (!match) throw new Error(`Unexpected VERSION answer: ${JSON.stringify(text.slice(0, 100))}`);
      return { engine: match[1]!, signatureVersion: match[2] ?? null, raw: text };
    },
  };
}
