// The production server (`npm start`): Next.js's own request handler behind a plain Node HTTP server, so the
// client address comes from the socket and not from headers a client can write (lib/http/client-address.ts).
// Plain JavaScript: it runs with production dependencies only. Options: -p/--port (or PORT), -H/--hostname.
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import next from "next";
import { productionClientIpSource, SERVER_ENTRY_MARKER, sanitizeForwardingHeaders } from "../lib/http/forwarding-headers.mjs";
import { ALLOW_HEADER, problemJson, REFUSAL_HEADERS, unrepresentableRequestProblem } from "../lib/security/request-line.mjs";

const { values } = parseArgs({
  options: { port: { type: "string", short: "p" }, hostname: { type: "string", short: "H" } },
  allowPositionals: false,
});
const port = Number(values.port ?? process.env.PORT ?? 3000);
// Unset: every interface, IPv4 and IPv6 (peer addresses like ::ffff:127.0.0.1 are normalised by the app).
const hostname = values.hostname;
process.env.NODE_ENV ??= "production";

// Behind our own proxies (or on Vercel) their forwarding headers are what the app reads; exposed directly, every
// forwarding header is the client's and is dropped.
const source = productionClientIpSource(process.env);
const trustProxyHeaders = source !== "socket";

// Before the app's code loads: lib/http/client-address.ts trusts the socket address header only with this marker.
globalThis[SERVER_ENTRY_MARKER] = true;

const app = next({ dev: false, hostname: hostname ?? "localhost", port });
const handle = app.getRequestHandler();
await app.prepare();

const server = createServer((req, res) => {
  // What Next.js cannot turn into a Request (TRACE, `OPTIONS *`) would be a 500 there: a 4xx problem here.
  const refusal = unrepresentableRequestProblem(req.method ?? "", req.url ?? "");
  if (refusal) {
    res.writeHead(refusal.status, { ...REFUSAL_HEADERS, ...(refusal.status === 405 ? { allow: ALLOW_HEADER } : {}) });
    res.end(problemJson(refusal));
    return;
  }
  req.headers = sanitizeForwardingHeaders(req.headers, req.socket.remoteAddress, { trustProxyHeaders });
  // As `next start` does: an error that escapes Next.js's handler fails this request, never the process.
  handle(req, res).catch((error) => {
    console.error("request failed", error instanceof Error ? error.name : typeof error);
    if (!res.headersSent) res.statusCode = 500;
    res.end();
  });
});

const ready = () => console.log(`> TenantGuard ready on http://${hostname ?? "localhost"}:${port} (client address: ${source})`);
if (hostname) server.listen(port, hostname, ready);
else server.listen(port, ready);

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeIdleConnections();
    void app.close().finally(() => process.exit(0));
  });
}
