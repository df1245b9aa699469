import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * SSRF-1: the address policy. An address is allowed only if it is plain public unicast. ipaddr.js names most special
 * ranges; what it calls "unicast" but is not globally reachable (IPv4-compatible IPv6, anything outside 2000::/3,
 * the IETF and documentation blocks, cloud metadata services on public addresses) is refused here as well.
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is unwrapped and judged as the IPv4 address it reaches.
 */

export type AddressVerdict = { allowed: true } | { allowed: false; range: string };

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

function cidrs(list: [string, string][]): { cidr: Cidr; name: string }[] {
  return list.map(([c, name]) => ({ cidr: ipaddr.parseCIDR(c), name }));
}

// Cloud metadata endpoints, named before their ranges so a refusal says what it was.
const METADATA = cidrs([
  ["169.254.169.254/32", "cloudMetadata"], // AWS, GCP, Azure, OpenStack
  ["169.254.170.2/32", "cloudMetadata"], // AWS ECS task metadata
  ["100.100.100.200/32", "cloudMetadata"], // Alibaba Cloud
  ["168.63.129.16/32", "cloudMetadata"], // Azure WireServer, on a public address
  ["fd00:ec2::254/128", "cloudMetadata"], // AWS IMDS over IPv6
]);

// IPv4 blocks that ipaddr.js may classify as unicast, listed from the IANA special-purpose registry.
const V4_EXTRA = cidrs([
  ["0.0.0.0/8", "unspecified"],
  ["100.64.0.0/10", "carrierGradeNat"],
  ["192.0.0.0/24", "ietfProtocolAssignments"],
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "6to4Relay"],
  ["192.31.196.0/24", "as112"], // anycast DNS sinks (RFC 7534, RFC 7535)
  ["192.52.193.0/24", "amt"], // multicast tunnelling relays (RFC 7450)
  ["192.175.48.0/24", "as112"],
  ["198.18.0.0/15", "benchmarking"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["240.0.0.0/4", "reserved"],
]);

// Global unicast IPv6 is 2000::/3; inside it, these are not plain public unicast (or embed an IPv4 address).
const V6_GLOBAL = ipaddr.parseCIDR("2000::/3");
const V6_EXTRA = cidrs([
  ["2001::/23", "ietfProtocolAssignments"], // includes Teredo 2001::/32 and benchmarking 2001:2::/48
  ["2001:db8::/32", "documentation"],
  ["2620:4f:8000::/48", "as112"],
  ["2002::/16", "6to4"],
  ["3fff::/20", "documentation"],
]);

function matchAny(addr: ipaddr.IPv4 | ipaddr.IPv6, list: { cidr: Cidr; name: string }[]): string | undefined {
  for (const { cidr, name } of list) {
    if (addr.kind() === cidr[0].kind() && addr.match(cidr)) return name;
  }
  return undefined;
}

/** Whether `address` (a canonical IPv4 or IPv6 literal, no brackets) is plain public unicast. */
export function classifyAddress(address: string): AddressVerdict {
  if (isIP(address) === 0) return { allowed: false, range: "invalid" };
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // ipaddr.js 2.5 reads the text form "::a.b.c.d" (IPv4-compatible) as IPv4-mapped; the WHATWG serialiser
    // rewrites every IPv6 literal in hex first (RFC 5952), so only a real ::ffff:0:0/96 address is unwrapped.
    const canonical = isIP(address) === 6 ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
    addr = ipaddr.process(canonical);
  } catch {
    return { allowed: false, range: "invalid" };
  }
  const metadata = matchAny(addr, METADATA);
  if (metadata) return { allowed: false, range: metadata };
  const range = addr.range();
  if (range !== "unicast") return { allowed: false, range };
  if (addr.kind() === "ipv4") {
    const extra = matchAny(addr, V4_EXTRA);
    return extra ? { allowed: false, range: extra } : { allowed: true };
  }
  // Still IPv6 after process(): IPv4-compatible (::a.b.c.d), NAT64 and everything outside 2000::/3 are refused.
  if (!addr.match(V6_GLOBAL)) return { allowed: false, range: "notGlobalUnicast" };
  const extra = matchAny(addr, V6_EXTRA);
  return extra ? { allowed: false, range: extra } : { allowed: true };
}

export function isLoopbackAddress(address: string): boolean {
  if (isIP(address) === 0) return false;
  return ipaddr.process(address).range() === "loopback";
}
