// Plain JavaScript, so the production server entry (scripts/server.mjs) runs it without a TypeScript toolchain;
// types are in forwarding-headers.d.mts.

/** The client address as the server entry read it from the socket. Trusted only with SERVER_ENTRY_MARKER. */
export const CLIENT_ADDRESS_HEADER = "x-tenantguard-client-ip";

/**
 * Set on globalThis by the server entry, in the same process as the app: a request header can be sent by anyone,
 * this cannot. Without it (e.g. `next start` run directly), CLIENT_ADDRESS_HEADER is ignored.
 */
export const SERVER_ENTRY_MARKER = Symbol.for("tenantguard.server-entry");

/**
 * Headers through which a proxy tells the app who the client is, or how it was reached. When the app is exposed
 * directly, every one of them was written by the client.
 */
const FORWARDING_HEADERS = new Set([
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-forwarded-port",
  "x-forwarded-prefix",
  "x-forwarded-ssl",
  "x-original-forwarded-for",
  "x-real-ip",
  "x-client-ip",
  "x-cluster-client-ip",
  "true-client-ip",
  "cf-connecting-ip",
  "fastly-client-ip",
  "x-vercel-forwarded-for",
]);

/**
 * The client-address source of a production process, as lib/env.ts decides it (a test keeps the two in step), for
 * the server entry, which runs before any TypeScript: CLIENT_IP_SOURCE, else `vercel` on Vercel, else `socket`.
 *
 * @param {Record<string, string | undefined>} environment
 * @returns {string}
 */
export function productionClientIpSource(environment) {
  return environment.CLIENT_IP_SOURCE || (environment.VERCEL === "1" ? "vercel" : "socket");
}

function isForwardingHeader(name) {
  return FORWARDING_HEADERS.has(name) || name.startsWith("x-vercel-ip-");
}

/**
 * RL-1 / AUD-1 / KEY-2 (per-IP limits, audit IP, key allow-lists): the request headers the app sees, given the headers the client sent and the socket's peer address.
 * Our own header is always replaced (a client never supplies it). With `trustProxyHeaders: false` (the app is
 * exposed directly) every forwarding header is dropped as well; with `true` (CLIENT_IP_SOURCE=forwarded) the
 * proxies' headers are kept for lib/http/client-address.ts to read. Returns a new object; the input is not changed.
 *
 * @param {Record<string, string | string[] | undefined>} headers Node's `req.headers` (lower-case names).
 * @param {string | undefined} socketAddress `req.socket.remoteAddress`.
 * @param {{ trustProxyHeaders: boolean }} options
 * @returns {Record<string, string | string[] | undefined>}
 */
export function sanitizeForwardingHeaders(headers, socketAddress, options) {
  const result = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === CLIENT_ADDRESS_HEADER) continue;
    if (!options.trustProxyHeaders && isForwardingHeader(lower)) continue;
    result[lower] = value;
  }
  if (socketAddress) result[CLIENT_ADDRESS_HEADER] = socketAddress;
  return result;
}
