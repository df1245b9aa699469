// Serving pieces shared by the benchmarks: a free loopback port, a Node server that hands Web Requests to route
// handlers as Next.js does, and the message channel to a benchmark's server child process.
import type { ChildProcess } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";

export async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * A keep-alive Node server on 127.0.0.1 (port 0: any) that turns each request into a Web `Request` (the peer
 * address as x-forwarded-for, as the nearest proxy would) and writes back the handler's `Response`. A handler that
 * throws answers 500 and is counted by `onError`.
 */
export async function serveWebHandler(handle: (request: Request) => Promise<Response>, onError: () => void): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
      headers.set("x-forwarded-for", req.socket.remoteAddress ?? "127.0.0.1");
      const request = new Request(`http://127.0.0.1${url.pathname}${url.search}`, { method: req.method, headers });
      const response = await handle(request);
      const body = Buffer.from(await response.arrayBuffer());
      res.writeHead(response.status, { ...Object.fromEntries(response.headers), "content-length": String(body.length) });
      res.end(body);
    } catch {
      onError();
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

/** The next message of `type` from a forked child; rejects if the child exits first. */
export function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: { type: string }) => {
      if (m.type === type) {
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(m as T);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`the benchmark server exited (${code}) before "${type}"`));
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}
