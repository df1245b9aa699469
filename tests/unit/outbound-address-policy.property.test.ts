import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyAddress } from "@/lib/http/outbound";

/**
 * SSRF-1: the address policy agrees with an oracle written from the IANA IPv4 and IPv6 special-purpose address
 * registries (RFC 6890 and its updates), with its own parsing and bit arithmetic (no ipaddr.js).
 */

function v4ToInt(text: string): number {
  const parts = text.split(".").map(Number);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function v6ToBigInt(text: string): bigint {
  let s = text.toLowerCase();
  const groups: number[] = [];
  // A trailing dotted quad is the last 32 bits.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  let tail: number[] = [];
  if (dotted) {
    const n = v4ToInt(dotted[1]!);
    tail = [n >>> 16, n & 0xffff];
    s = s.slice(0, -dotted[1]!.length);
    if (s.endsWith(":") && !s.endsWith("::")) s = s.slice(0, -1);
  }
  const [head, rest] = s.includes("::") ? s.split("::") : [s, undefined];
  const h = head ? head.split(":").filter((x) => x !== "").map((x) => parseInt(x, 16)) : [];
  const r = rest !== undefined && rest !== "" ? rest.split(":").filter((x) => x !== "").map((x) => parseInt(x, 16)) : [];
  const fill = 8 - h.length - r.length - tail.length;
  groups.push(...h, ...(rest !== undefined ? Array<number>(fill).fill(0) : []), ...r, ...tail);
  if (groups.length !== 8) throw new Error(`oracle cannot parse ${text}`);
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

const V4_REFUSED: [string, number][] = [
  ["0.0.0.0", 8], // "this network" (RFC 791)
  ["10.0.0.0", 8], // private (RFC 1918)
  ["100.64.0.0", 10], // shared address space, CGNAT (RFC 6598)
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata (RFC 3927)
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments (RFC 6890)
  ["192.0.2.0", 24], // TEST-NET-1 (RFC 5737)
  ["192.31.196.0", 24], // AS112 (RFC 7535)
  ["192.52.193.0", 24], // AMT (RFC 7450)
  ["192.88.99.0", 24], // 6to4 relay anycast (RFC 7526)
  ["192.168.0.0", 16], // private
  ["192.175.48.0", 24], // AS112 (RFC 7534)
  ["198.18.0.0", 15], // benchmarking (RFC 2544)
  ["198.51.100.0", 24], // TEST-NET-2
  ["203.0.113.0", 24], // TEST-NET-3
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and 255.255.255.255 broadcast
  ["168.63.129.16", 32], // Azure WireServer (cloud metadata on a public address)
];

const V6_REFUSED: [string, number][] = [
  ["2001::", 23], // IETF protocol assignments, incl. Teredo 2001::/32 and benchmarking 2001:2::/48 (RFC 2928)
  ["2001:db8::", 32], // documentation (RFC 3849)
  ["2002::", 16], // 6to4 (RFC 3056)
  ["2620:4f:8000::", 48], // AS112 (RFC 7534)
  ["3fff::", 20], // documentation (RFC 9637)
];

function inV4(n: number, [base, bits]: [string, number]): boolean {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((n & mask) >>> 0) === ((v4ToInt(base) & mask) >>> 0);
}

function inV6(n: bigint, [base, bits]: [string, number]): boolean {
  const shift = BigInt(128 - bits);
  return n >> shift === v6ToBigInt(base) >> shift;
}

function oracleV4(n: number): boolean {
  return !V4_REFUSED.some((c) => inV4(n, c));
}

function oracleV6(n: bigint): boolean {
  // IPv4-mapped (::ffff:0:0/96) is the IPv4 address it reaches.
  if (n >> 32n === 0xffffn) return oracleV4(Number(n & 0xffffffffn));
  // Only global unicast 2000::/3 is public; that excludes ::/8 (IPv4-compatible, loopback, unspecified),
  // NAT64 64:ff9b::/96, ULA fc00::/7, link-local fe80::/10, multicast ff00::/8.
  if (n >> 125n !== 1n) return false;
  return !V6_REFUSED.some((c) => inV6(n, c));
}

function oracle(text: string): boolean {
  return text.includes(":") ? oracleV6(v6ToBigInt(text)) : oracleV4(v4ToInt(text));
}

const intToV4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
const bigToV6 = (n: bigint) =>
  Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(":");

// Addresses near every listed range (inside and just outside), so the property probes each boundary.
const nearV4 = fc
  .tuple(fc.constantFrom(...V4_REFUSED, ["8.8.8.0", 24] as [string, number], ["100.63.255.0", 24] as [string, number]), fc.integer({ min: -2, max: 2 ** 20 }))
  .map(([[base], offset]) => intToV4((v4ToInt(base) + offset + 2 ** 32) % 2 ** 32));
const nearV6 = fc
  .tuple(
    fc.constantFrom("2001::", "2001:db8::", "2002::", "2620:4f:8000::", "3fff::", "2000::", "4000::", "64:ff9b::", "fc00::", "fe80::", "ff00::", "::", "::ffff:0:0", "2001:200::", "1fff:ffff::"),
    fc.bigInt({ min: -(2n ** 8n), max: 2n ** 100n }),
  )
  .map(([base, offset]) => bigToV6((v6ToBigInt(base) + offset + 2n ** 128n) % 2n ** 128n));
const mappedV4 = fc.ipV4().map((a) => `::ffff:${a}`);
const anyV6 = fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }).map(bigToV6);

describe("SSRF-1: the address policy agrees with the RFC-range oracle", () => {
  it("for random IPv4 addresses", () => {
    fc.assert(fc.property(fc.oneof(fc.ipV4(), nearV4), (a) => {
        expect(classifyAddress(a).allowed).toBe(oracle(a));
      }), { numRuns: 5_000 });
  });

  it("for random IPv6 addresses, in every textual form", () => {
    fc.assert(fc.property(fc.oneof(fc.ipV6(), anyV6, nearV6, mappedV4), (a) => {
        expect(classifyAddress(a).allowed).toBe(oracle(a));
      }), { numRuns: 5_000 });
  });

  it("names the range of a refused address", () => {
    expect(classifyAddress("100.64.0.1")).toEqual({ allowed: false, range: "carrierGradeNat" });
    expect(classifyAddress("169.254.169.254")).toEqual({ allowed: false, range: "cloudMetadata" });
    expect(classifyAddress("::ffff:127.0.0.1")).toEqual({ allowed: false, range: "loopback" });
    expect(classifyAddress("::127.0.0.1").allowed).toBe(false);
    expect(classifyAddress("4000::1")).toEqual({ allowed: false, range: "notGlobalUnicast" });
    expect(classifyAddress("8.8.8.8")).toEqual({ allowed: true });
    expect(classifyAddress("2606:4700::1111")).toEqual({ allowed: true });
  });

  it("refuses what is not an address", () => {
    for (const s of ["", "localhost", "127.1", "0x7f000001", "1.2.3.4.5", "fe80::1%eth0"]) expect(classifyAddress(s).allowed).toBe(false);
  });
});
