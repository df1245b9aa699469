import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchPublicUrl, outboundFetch, OutboundRefusedError, type Clock, type PublicUrlPolicy } from "@/lib/http/outbound";

/**
 * SSRF-1/SSRF-2: what the client does with a server that is allowed: streaming with the size cap, the content-type
 * allow-list, timeouts on a stalling server, bounded retries with backoff. One HTTP server on 127.0.0.1,
 * allow-listed by exact address and port.
 */

const bomb = gzipSync(Buffer.alloc(100_000));
let server: Server;
let port: number;
const hits = new Map<string, number>();
let release: (() => void) | undefined;

function hit(path: string): number {
  const n = (hits.get(path) ?? 0) + 1;
  hits.set(path, n);
  return n;
}

function handler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://x");
  const path = url.pathname;
  const n = hit(`${req.method} ${path}${url.search}`);
  switch (path) {
    case "/doc.txt":
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end("hello, document");
      return;
    case "/two-parts":
      // The second part is sent only once the test has read the first: the body reaches the caller as it arrives.
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("part one;");
      release = () => res.end("part two");
      return;
    case "/declared-large":
      res.writeHead(200, { "content-type": "text/plain", "content-length": "5000" });
      res.end("x".repeat(5000));
      return;
    case "/undeclared-large":
      res.writeHead(200, { "content-type": "text/plain" }); // chunked, no Content-Length
      for (let i = 0; i < 10; i++) res.write("y".repeat(500));
      res.end();
      return;
    case "/until-close":
      // No Content-Length and no chunking: the body is whatever arrives until the connection closes.
      req.socket.end(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${"z".repeat(3000)}`);
      return;
    case "/gzip-bomb":
      // 100 kB of zeros in a few hundred compressed bytes: the cap counts the decoded bytes.
      res.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip", "content-length": String(bomb.length) });
      res.end(bomb);
      return;
    case "/html":
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<script>alert(1)</script>");
      return;
    case "/no-type":
      res.writeHead(200, {});
      res.end("?");
      return;
    case "/not-found":
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("no");
      return;
    case "/stall-headers":
      return; // never answers
    case "/stall-body":
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("a start, then nothing");
      return;
    case "/flaky":
      // 503, then a dropped connection, then the document.
      if (n === 1) {
        res.writeHead(503, { "content-type": "text/plain" });
        res.end("busy");
      } else if (n === 2) {
        req.socket.destroy();
      } else {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("third time");
      }
      return;
    case "/always-503":
      res.writeHead(503, { "content-type": "text/plain" });
      res.end("down");
      return;
    case "/always-drop":
      req.socket.destroy();
      return;
    case "/retry-after":
      if (n === 1) {
        res.writeHead(429, { "retry-after": url.searchParams.get("s") ?? "1", "content-type": "text/plain" });
        res.end("slow down");
      } else {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("after waiting");
      }
      return;
    default:
      res.writeHead(404);
      res.end();
  }
}

beforeAll(async () => {
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const base = () => `http://127.0.0.1:${port}`;
const attempts = (key: string) => hits.get(key) ?? 0;

/** A clock whose sleeps return at once and are recorded: backoff is asserted, never waited for. */
function recordingClock(): Clock & { sleeps: number[] } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

function policy(extra: Partial<PublicUrlPolicy> = {}): PublicUrlPolicy {
  return {
    allowedContentTypes: ["text/plain", "application/pdf"],
    maxBytes: 1024,
    allowHosts: [`127.0.0.1:${port}`],
    timeouts: { connectMs: 2_000, headersMs: 5_000, totalMs: 10_000 },
    retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 },
    ...extra,
  };
}

async function refusal(p: Promise<unknown>): Promise<OutboundRefusedError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof OutboundRefusedError) return e;
    throw e;
  }
  throw new Error("no refusal");
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(body).text();
}

describe("SSRF-1: an allow-listed server's document is streamed out with its metadata", () => {
  it("returns the final URL, status, content type and the byte count of the streamed body", async () => {
    const result = await fetchPublicUrl(`${base()}/doc.txt`, policy());
    expect(result).toMatchObject({ url: `${base()}/doc.txt`, status: 200, contentType: "text/plain", redirects: 0 });
    expect(await readAll(result.body)).toBe("hello, document");
    expect(result.bytesReceived()).toBe(Buffer.byteLength("hello, document"));
  });

  it("hands the body over as it arrives, before the server has finished sending", async () => {
    const result = await fetchPublicUrl(`${base()}/two-parts`, policy());
    const reader = result.body.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe("part one;");
    release!();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += Buffer.from(r.value).toString();
    expect(rest).toBe("part two");
    expect(result.bytesReceived()).toBe(17);
  });
});

describe("SSRF-1: the size cap holds while streaming", () => {
  it("a declared Content-Length over the cap is refused before any body is read", async () => {
    const e = await refusal(fetchPublicUrl(`${base()}/declared-large`, policy()));
    expect(e.reason).toBe("too_large");
    expect(e.message).toContain("1024");
  });

  it("a chunked body that grows past the cap errors the stream with too_large", async () => {
    const result = await fetchPublicUrl(`${base()}/undeclared-large`, policy());
    const e = await refusal(readAll(result.body));
    expect(e.reason).toBe("too_large");
    expect(result.bytesReceived()).toBeLessThanOrEqual(1024);
  });

  it("a body framed by closing the connection is cut at the cap", async () => {
    const result = await fetchPublicUrl(`${base()}/until-close`, policy());
    expect((await refusal(readAll(result.body))).reason).toBe("too_large");
    expect(result.bytesReceived()).toBeLessThanOrEqual(1024);
  });

  it("a compressed body is capped on its decoded size (a small Content-Length does not let a bomb through)", async () => {
    expect(bomb.length).toBeLessThan(1024);
    const result = await fetchPublicUrl(`${base()}/gzip-bomb`, policy());
    expect((await refusal(readAll(result.body))).reason).toBe("too_large");
    expect(result.bytesReceived()).toBeLessThanOrEqual(1024);
  });
});

describe("SSRF-1: the content-type allow-list and the status", () => {
  it("a type the caller did not allow is refused, naming what was sent", async () => {
    const e = await refusal(fetchPublicUrl(`${base()}/html`, policy()));
    expect(e.reason).toBe("content_type");
    expect(e.message).toContain("text/html");
  });

  it("a response with no content type is refused", async () => {
    expect((await refusal(fetchPublicUrl(`${base()}/no-type`, policy()))).reason).toBe("content_type");
  });

  it("a 404 is refused with its status", async () => {
    const e = await refusal(fetchPublicUrl(`${base()}/not-found`, policy()));
    expect(e).toMatchObject({ reason: "http_status", httpStatus: 404 });
  });
});

describe("SSRF-1/SSRF-2: a server that stalls times out", () => {
  it("no response headers within the headers timeout -> timeout", async () => {
    const e = await refusal(fetchPublicUrl(`${base()}/stall-headers`, policy({ timeouts: { headersMs: 200, totalMs: 10_000 }, retry: { retries: 0 } })));
    expect(e.reason).toBe("timeout");
  });

  it("the whole-transfer deadline ends a body that stops half-way", async () => {
    const result = await fetchPublicUrl(`${base()}/stall-body`, policy({ timeouts: { headersMs: 10_000, totalMs: 400 } }));
    expect((await refusal(readAll(result.body))).reason).toBe("timeout");
  });

  it("the caller's own abort signal stops the fetch", async () => {
    const controller = new AbortController();
    const pending = fetchPublicUrl(`${base()}/stall-headers`, policy({ signal: controller.signal }));
    controller.abort(new Error("user cancelled"));
    await expect(pending).rejects.toThrow("user cancelled");
  });
});

describe("SSRF-2: bounded retries with backoff", () => {
  it("a flaky server (503, then a dropped connection) is retried until the document comes", async () => {
    const clock = recordingClock();
    const result = await fetchPublicUrl(`${base()}/flaky`, policy({ clock, retry: { retries: 2, baseDelayMs: 100, maxDelayMs: 1_000 } }));
    expect(await readAll(result.body)).toBe("third time");
    expect(attempts("GET /flaky")).toBe(3);
    // Exponential backoff with jitter: attempt n waits between half and all of base * 2^n.
    expect(clock.sleeps).toHaveLength(2);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(100);
    expect(clock.sleeps[1]).toBeGreaterThanOrEqual(100);
    expect(clock.sleeps[1]).toBeLessThanOrEqual(200);
  });

  it("a server that keeps failing is tried 1 + retries times, then the fetch fails", async () => {
    const clock = recordingClock();
    const e = await refusal(fetchPublicUrl(`${base()}/always-503`, policy({ clock })));
    expect(e).toMatchObject({ reason: "http_status", httpStatus: 503 });
    expect(attempts("GET /always-503")).toBe(3);
    const dropped = await refusal(fetchPublicUrl(`${base()}/always-drop`, policy({ clock })));
    expect(dropped.reason).toBe("connection");
    expect(attempts("GET /always-drop")).toBe(3);
  });

  it("Retry-After is waited for when it is within the cap", async () => {
    const clock = recordingClock();
    const result = await outboundFetch(`${base()}/retry-after?s=2`, { clock, retry: { retryAfterCapMs: 5_000 } });
    expect(result.status).toBe(200);
    expect(clock.sleeps).toEqual([2_000]);
  });

  it("a Retry-After beyond the cap is not waited for: the 429 comes back", async () => {
    const clock = recordingClock();
    // Well inside the deadline, so only the cap stops the wait.
    const result = await outboundFetch(`${base()}/retry-after?s=120`, { clock, retry: { retryAfterCapMs: 5_000 }, timeouts: { totalMs: 600_000 } });
    expect(result.status).toBe(429);
    expect(clock.sleeps).toEqual([]);
  });

  it("no retry is scheduled past the total deadline", async () => {
    const clock = recordingClock();
    const result = await outboundFetch(`${base()}/retry-after?s=20`, { clock, retry: { retryAfterCapMs: 60_000 }, timeouts: { totalMs: 10_000 } });
    expect(result.status).toBe(429);
    expect(clock.sleeps).toEqual([]);
  });

  it("a POST is not retried unless the caller says it is idempotent", async () => {
    const clock = recordingClock();
    const before = attempts("POST /always-503");
    const once = await outboundFetch(`${base()}/always-503`, { method: "POST", body: "{}", clock });
    expect(once.status).toBe(503);
    expect(attempts("POST /always-503") - before).toBe(1);
    const retried = await outboundFetch(`${base()}/always-503`, { method: "POST", body: "{}", idempotent: true, clock, retry: { retries: 1 } });
    expect(retried.status).toBe(503);
    expect(attempts("POST /always-503") - before).toBe(3);
  });

  it("outboundFetch times out a server that never answers", async () => {
    const e = await refusal(outboundFetch(`${base()}/stall-headers`, { timeouts: { headersMs: 200 }, retry: { retries: 0 } }));
    expect(e.reason).toBe("timeout");
  });
});
