import { afterAll, beforeAll, describe, expect, it } from "vitest";
import net from "node:net";
import { randomBytes } from "node:crypto";
import { clamdScanner, parseInstreamReply, scanFile, scannerCheck } from "@/lib/files/scanner";
import { EICAR, startClamd, type Clamd } from "@/tests/helpers/clamd";

// FILE-2: a real clamd (Debian's) on 127.0.0.1 with the project's test signature database; fake servers for the
// answers a real one should not give. Every failure is scan_failed, never clean.

let clamd: Clamd;
const fakes: net.Server[] = [];

beforeAll(async () => {
  clamd = await startClamd({ streamMaxBytes: 1024 * 1024 });
});

afterAll(async () => {
  await clamd?.stop();
  await Promise.all(fakes.map((s) => new Promise((r) => s.close(r))));
});

const options = { timeoutMs: 10_000, maxBytes: 10 * 1024 * 1024 };

async function fakeServer(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConnection);
  fakes.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as net.AddressInfo).port;
}

async function* slowly(chunks: number, size: number, pause: () => Promise<void>): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < chunks; i++) {
    yield randomBytes(size);
    await pause();
  }
}

describe("clamd INSTREAM", () => {
  it("EICAR is infected, with the signature's name and the scanner's identity", async () => {
    const verdict = await clamdScanner({ host: clamd.host, port: clamd.port }, options).scan([EICAR]);
    expect(verdict).toMatchObject({ verdict: "infected", signature: "TenantGuard.Test.EICAR.UNOFFICIAL" });
    expect(verdict.verdict === "infected" && verdict.scanner).toContain(`127.0.0.1:${clamd.port}`);
  });

  it("over the Unix socket: EICAR infected, a clean file clean", async () => {
    const scanner = clamdScanner({ socket: clamd.socket }, options);
    expect(await scanner.scan([EICAR])).toMatchObject({ verdict: "infected", signature: "TenantGuard.Test.EICAR.UNOFFICIAL" });
    expect(await scanner.scan([Buffer.from("hello\n")])).toMatchObject({ verdict: "clean" });
    expect(await clamdScanner({ socket: `${clamd.socket}.missing` }, options).scan([Buffer.from("hello")])).toMatchObject({ verdict: "scan_failed" });
  });

  it("a clean file is clean, sent in many small frames", async () => {
    const scanner = clamdScanner({ host: clamd.host, port: clamd.port }, { ...options, chunkBytes: 1000 });
    expect(await scanner.scan([Buffer.from("quarterly report\n".repeat(2000))])).toMatchObject({ verdict: "clean" });
  });

  it("a web ReadableStream source scans the same", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(EICAR);
        c.close();
      },
    });
    expect(await clamdScanner({ host: clamd.host, port: clamd.port }, options).scan(stream)).toMatchObject({ verdict: "infected" });
  });

  it("a file over the server's StreamMaxLength is scan_failed (INSTREAM size limit exceeded), never clean", async () => {
    const scanner = clamdScanner({ host: clamd.host, port: clamd.port }, options);
    const verdict = await scanner.scan([randomBytes(clamd.streamMaxBytes + 64 * 1024)]);
    // clamd answers "INSTREAM size limit exceeded" and closes; when the close reaches us first (EPIPE, ECONNRESET
    // while still sending), that answer is lost with the socket. Either way the file is not clean.
    expect(verdict).toMatchObject({
      verdict: "scan_failed",
      reason: expect.stringMatching(/^(The file is larger than the scanner's stream limit\.|The scanner could not be reached: E(PIPE|CONNRESET)|The file could not be sent to the scanner: .*)$/),
    });
  });

  it("a file over the client's configured limit is scan_failed before it is all sent", async () => {
    const scanner = clamdScanner({ host: clamd.host, port: clamd.port }, { ...options, maxBytes: 1000 });
    expect(await scanner.scan([randomBytes(4000)])).toMatchObject({ verdict: "scan_failed", reason: expect.stringMatching(/stream limit/) });
  });

  it("VERSION reports the engine and the health check says ok", async () => {
    const scanner = clamdScanner({ host: clamd.host, port: clamd.port }, options);
    expect((await scanner.version()).engine).toMatch(/^\d+\.\d+/);
    expect(await scannerCheck(scanner)).toMatchObject({ status: "ok" });
  });

  it("no scanner configured: the verdict is scanner_off and the health check says off", async () => {
    expect(await scanFile([EICAR], null)).toMatchObject({ verdict: "scanner_off" });
    expect(await scannerCheck(null)).toMatchObject({ status: "off" });
  });
});

describe("clamd failures are scan_failed, never clean", () => {
  it("a server answering garbage", async () => {
    const port = await fakeServer((socket) => {
      socket.on("data", () => undefined);
      socket.write("stream: totally fine\0");
      socket.end();
    });
    const verdict = await clamdScanner({ host: "127.0.0.1", port }, options).scan([Buffer.from("hello")]);
    expect(verdict).toMatchObject({ verdict: "scan_failed", reason: expect.stringMatching(/answer/) });
  });

  it("a server answering OK before it received the whole file", async () => {
    const port = await fakeServer((socket) => {
      socket.once("data", () => socket.write("stream: OK\0"));
      socket.on("data", () => undefined);
    });
    const source = slowly(50, 1024, () => new Promise((r) => setTimeout(r, 20)));
    expect(await clamdScanner({ host: "127.0.0.1", port }, options).scan(source)).toMatchObject({ verdict: "scan_failed" });
  });

  it("a server that never answers (timeout)", async () => {
    const port = await fakeServer((socket) => socket.on("data", () => undefined));
    const verdict = await clamdScanner({ host: "127.0.0.1", port }, { ...options, timeoutMs: 500 }).scan([Buffer.from("hello")]);
    expect(verdict).toMatchObject({ verdict: "scan_failed", reason: expect.stringMatching(/did not answer/) });
  });

  it("a server that closes without answering, and one that refuses connections", async () => {
    const port = await fakeServer((socket) => socket.destroy());
    expect(await clamdScanner({ host: "127.0.0.1", port }, options).scan([Buffer.from("hello")])).toMatchObject({ verdict: "scan_failed" });
    const closed = await fakeServer(() => undefined);
    await new Promise((r) => fakes.pop()!.close(r));
    expect(await clamdScanner({ host: "127.0.0.1", port: closed }, options).scan([Buffer.from("hello")])).toMatchObject({ verdict: "scan_failed" });
    expect(await scannerCheck(clamdScanner({ host: "127.0.0.1", port: closed }, options))).toMatchObject({ status: "down" });
  });

  it("a source that fails mid-stream", async () => {
    const source = (async function* () {
      yield Buffer.from("partial");
      throw new Error("quarantine read failed");
    })();
    expect(await clamdScanner({ host: clamd.host, port: clamd.port }, options).scan(source)).toMatchObject({ verdict: "scan_failed" });
  });

  it("answers are parsed strictly", () => {
    expect(parseInstreamReply("stream: OK\0", "s").verdict).toBe("clean");
    expect(parseInstreamReply("stream: Eicar-Signature FOUND\0", "s")).toMatchObject({ verdict: "infected", signature: "Eicar-Signature" });
    for (const reply of ["", "OK", "stream: ok", "stream: OK extra", "stream:  FOUND", "INSTREAM size limit exceeded. ERROR", "stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND", "UNKNOWN COMMAND", "stream: OK\nstream: X FOUND"]) {
      expect(parseInstreamReply(reply, "s").verdict, reply).toBe("scan_failed");
    }
  });

  // Last: it stops the shared clamd.
  it("clamd stopped mid-scan", async () => {
    const scanner = clamdScanner({ host: clamd.host, port: clamd.port }, options);
    let sent = 0;
    let stopped: Promise<void> | undefined;
    const source = slowly(200, 1024, async () => {
      if (++sent === 5) await (stopped = clamd.stop());
      await new Promise((r) => setTimeout(r, 5));
    });
    const verdict = await scanner.scan(source);
    expect(verdict, JSON.stringify(verdict)).toMatchObject({ verdict: "scan_failed" });
    expect(sent).toBeGreaterThanOrEqual(5);
    await stopped;
    expect(clamd.running()).toBe(false);
  });
});
