import ipaddr from "ipaddr.js";
import { env, type ClientIpSource } from "@/lib/env";
import { logger } from "@/lib/observability/logger";
import { CLIENT_ADDRESS_HEADER, SERVER_ENTRY_MARKER } from "./forwarding-headers.mjs";

export interface ClientAddressConfig {
  source: ClientIpSource;
  /** forwarded: how many proxies we run in front of the app, each appending to X-Forwarded-For. */
  trustedProxyHops: number;
  /** socket: whether this process was started through scripts/server.mjs (default: its marker on globalThis). */
  serverEntry?: boolean;
}

function configured(): ClientAddressConfig {
  return { source: env.clientIpSource, trustedProxyHops: env.TRUSTED_PROXY_HOPS ?? 1 };
}

let warnedNoEntry = false;

/**
 * The client address (RL-1 per-IP limits, AUD-1 audit IP, KEY-2 key IP allow-lists), decided from the deployment's
 * configuration. Nothing else reads forwarding headers. Null when the address cannot be known; callers fail closed.
 *
 * - socket: the app is exposed directly; the production server entry replaced every client-sent forwarding header
 *   and wrote the socket's peer address into CLIENT_ADDRESS_HEADER. Without the entry's marker in this process
 *   (`next start` run directly), that header could come from the client: no address at all.
 * - forwarded: behind `trustedProxyHops` proxies, each appending the peer it saw to X-Forwarded-For; the entry that
 *   many from the right was written by the outermost proxy we run. Fewer entries: a proxy was bypassed, no address.
 * - vercel: the platform overwrites X-Vercel-Forwarded-For with the address it saw (and refuses client values).
 */
export function clientAddressFrom(h: Headers, config: ClientAddressConfig = configured()): string | null {
  switch (config.source) {
    case "socket": {
      const fromEntry = config.serverEntry ?? SERVER_ENTRY_MARKER in globalThis;
      if (!fromEntry) {
        if (!warnedNoEntry) {
          warnedNoEntry = true;
          logger.warn(
            { scope: "http" },
            "CLIENT_IP_SOURCE=socket, but the app was not started with `npm start` (scripts/server.mjs): client addresses are unknown, so IP allow-listed API keys are refused and per-IP limits are shared.",
          );
        }
        return null;
      }
      return normalisedAddress(h.get(CLIENT_ADDRESS_HEADER));
    }
    case "forwarded": {
      const entries = (h.get("x-forwarded-for") ?? "").split(",").map((e) => e.trim());
      if (entries.length < config.trustedProxyHops || (entries.length === 1 && entries[0] === "")) return null;
      return normalisedAddress(entries[entries.length - config.trustedProxyHops]);
    }
    case "vercel":
      return normalisedAddress(h.get("x-vercel-forwarded-for")?.split(",")[0]);
  }
}

/**
 * One spelling per address, so limits and audit rows agree: IPv4-mapped IPv6 becomes IPv4, a port or brackets are
 * dropped. Anything that is not a plain address (IPv4 only in four-part dotted decimal, no zone ids) is null.
 */
export function normalisedAddress(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let value = raw.trim();
  if (value.length === 0 || value.length > 64) return null;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(value);
  if (bracketed) value = bracketed[1]!;
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/.test(value)) value = value.slice(0, value.lastIndexOf(":"));
  if (value.includes("%")) return null;
  if (value.includes(":") ? !ipaddr.IPv6.isValid(value) : !ipaddr.IPv4.isValidFourPartDecimal(value)) return null;
  return ipaddr.process(value).toString();
}

/**
 * IDN-4: whether this request reached us over https, as the server entry (from the socket) or our proxies report it.
 * A client that claims https only makes its own cookie stricter.
 */
export function arrivedOverHttps(h: Headers): boolean {
  return h.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase() === "https";
}
