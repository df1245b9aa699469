import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import { classifyAddress } from "./address-policy";
import { OutboundConfigurationError, OutboundRefusedError } from "./errors";
import type { HostResolver, ResolvedAddress } from "./resolver";

/** The longest user-supplied URL we fetch. */
export const MAX_URL_LENGTH = 2048;

export interface TargetPolicy {
  /** Ports a user URL may name (default 80 and 443). */
  allowedPorts: readonly number[];
  /** Exact loopback "127.0.0.1:port" / "[::1]:port" pairs that are reachable anyway: for tests only (lib/env refuses it in production). */
  allowHosts: readonly string[];
  resolver: HostResolver;
}

/** A URL that passed every check, and the one address the connection must go to. */
export interface CheckedTarget {
  url: URL;
  /** The host name as the URL parser normalised it (lower case, punycode, brackets removed). */
  host: string;
  port: number;
  address: ResolvedAddress;
}

// Names that reach this machine or its private network whatever DNS says (RFC 6761, RFC 8375, ICANN .internal, mDNS).
const BLOCKED_SUFFIXES = ["localhost", "local", "internal", "home.arpa", "localdomain"];
const BLOCKED_NAMES = new Set(["metadata", "metadata.google.internal", "instance-data", "kubernetes.default"]);

/** Parses each "host:port" entry; only loopback addresses can be listed. */
export function parseAllowHosts(entries: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const entry of entries) {
    const key = allowHostKey(entry);
    if (!key) throw new OutboundConfigurationError(`allow-listed host "${entry}" must be a loopback address with a port, like 127.0.0.1:8080 or [::1]:8080`);
    out.add(key);
  }
  return out;
}

function allowHostKey(entry: string): string | undefined {
  if (!URL.canParse(`http://${entry}`)) return undefined;
  const u = new URL(`http://${entry}`);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  if (!u.port || isIP(host) === 0 || u.pathname !== "/" || u.username || u.password) return undefined;
  if (ipaddr.parse(host).range() !== "loopback") return undefined;
  return addressKey(host, Number(u.port));
}

function addressKey(address: string, port: number): string {
  return `${ipaddr.parse(address).toNormalizedString()}|${port}`;
}

function refuse(reason: ConstructorParameters<typeof OutboundRefusedError>[0], message: string): never {
  throw new OutboundRefusedError(reason, message);
}

/** The checks that need no network: scheme, credentials, port, host name. */
export function checkUrlShape(input: string | URL, policy: Pick<TargetPolicy, "allowedPorts" | "allowHosts">): { url: URL; host: string; port: number } {
  const raw = typeof input === "string" ? input.trim() : input.href;
  if (raw.length > MAX_URL_LENGTH) refuse("invalid_url", `URLs longer than ${MAX_URL_LENGTH} characters are not imported.`);
  if (!URL.canParse(raw)) refuse("invalid_url", "This is not a valid URL.");
  const url = new URL(raw);
  if (url.protocol !== "http:" && url.protocol !== "https:") refuse("scheme", `Only http and https URLs can be imported, not ${url.protocol.replace(/:$/, "")}.`);
  if (url.username !== "" || url.password !== "") refuse("credentials", "URLs with a user name or password are not imported.");
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  const allowListedPorts = parseAllowHostPorts(policy.allowHosts);
  if (!policy.allowedPorts.includes(port) && !allowListedPorts.has(port)) {
    refuse("port", `Port ${port} is not allowed; URLs may use ports ${policy.allowedPorts.join(", ")}.`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (host === "") refuse("invalid_url", "This URL has no host.");
  if (isIP(host) === 0) {
    const name = host.replace(/\.+$/, "");
    if (!name.includes(".")) refuse("blocked_host", `"${url.hostname}" is not a public host name.`);
    if (BLOCKED_NAMES.has(name) || BLOCKED_SUFFIXES.some((s) => name === s || name.endsWith(`.${s}`))) {
      refuse("blocked_host", `"${url.hostname}" is not a public host name.`);
    }
  }
  return { url, host, port };
}

function parseAllowHostPorts(entries: readonly string[]): Set<number> {
  return new Set([...parseAllowHosts(entries)].map((k) => Number(k.split("|")[1])));
}

function checkAddress(hostLabel: string, address: string, port: number, allowed: Set<string>, allowedPorts: readonly number[]): void {
  if (allowed.has(addressKey(address, port))) return;
  if (!classifyAddress(address).allowed) refuse("private_address", `"${hostLabel}" is or resolves to a private or reserved address.`);
  // A port reachable only through the allow-list is not open to other addresses.
  if (!allowedPorts.includes(port)) refuse("port", `Port ${port} is not allowed; URLs may use ports ${allowedPorts.join(", ")}.`);
}

/**
 * SSRF-1: one hop's checks. Resolves the host once (every A/AAAA record), refuses if any address is not public
 * unicast (or an allow-listed loopback pair), and returns the checked address to connect to.
 */
export async function checkTarget(input: string | URL, policy: TargetPolicy, signal?: AbortSignal): Promise<CheckedTarget> {
  const { url, host, port } = checkUrlShape(input, policy);
  const allowed = parseAllowHosts(policy.allowHosts);
  let addresses: ResolvedAddress[];
  const family = isIP(host);
  if (family === 4 || family === 6) {
    addresses = [{ address: host, family }];
  } else {
    addresses = await resolveOnce(policy.resolver, host.replace(/\.+$/, ""), url.hostname, signal);
  }
  for (const a of addresses) checkAddress(url.hostname, a.address, port, allowed, policy.allowedPorts);
  return { url, host, port, address: addresses[0]! };
}

async function resolveOnce(resolver: HostResolver, name: string, label: string, signal?: AbortSignal): Promise<ResolvedAddress[]> {
  signal?.throwIfAborted();
  let addresses: ResolvedAddress[];
  try {
    addresses = await (signal ? raceAbort(resolver(name), signal) : resolver(name));
  } catch (e) {
    if (signal?.aborted) throw e;
    refuse("dns", `"${label}" could not be resolved.`);
  }
  if (addresses.length === 0) refuse("dns", `"${label}" has no address.`);
  return addresses;
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
