import ipaddr from "ipaddr.js";

/**
 * Optional per-key IP allow-lists: IPv4 / IPv6 networks in CIDR notation (a bare address means /32 or /128).
 * Entries are normalised to their network address, which is what PostgreSQL's `cidr` type stores.
 */
export const MAX_ALLOWLIST_ENTRIES = 50;

export type CidrParse = { ok: true; cidr: string } | { ok: false; error: string };

export function parseCidr(raw: string): CidrParse {
  const entry = raw.trim();
  const invalid = { ok: false as const, error: `“${entry.slice(0, 60)}” is not an IPv4 or IPv6 address or network.` };
  if (entry.length === 0 || entry.length > 64) return invalid;
  const [address, bits, extra] = entry.split("/");
  if (extra !== undefined || address === undefined) return invalid;
  // IPv4 only in plain dotted-decimal form: `010.0.0.1` or `127.1` would mean different things to different parsers.
  if (address.includes(".") && !address.includes(":")) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(address)) return invalid;
  } else if (!ipaddr.IPv6.isValid(address)) {
    return invalid;
  }
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6") {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.zoneId) return { ok: false, error: `“${entry.slice(0, 60)}”: zone ids are not allowed.` };
    if (v6.isIPv4MappedAddress()) return { ok: false, error: `“${entry.slice(0, 60)}”: write IPv4 networks in dotted form.` };
  }
  const max = parsed.kind() === "ipv4" ? 32 : 128;
  if (bits !== undefined && !/^(0|[1-9][0-9]{0,2})$/.test(bits)) return invalid;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return invalid;
  const network =
    parsed.kind() === "ipv4"
      ? ipaddr.IPv4.networkAddressFromCIDR(`${address}/${prefix}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${address}/${prefix}`);
  return { ok: true, cidr: `${network.toString()}/${prefix}` };
}

/** Whether `ip` (as the trusted proxy reported it) is inside one of the networks. IPv4-mapped IPv6 counts as IPv4. */
export function ipAllowed(ip: string | null | undefined, allowlist: readonly string[]): boolean {
  if (!ip || !ipaddr.isValid(ip)) return false;
  if (!ip.includes(":") && !ipaddr.IPv4.isValidFourPartDecimal(ip)) return false;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.process(ip);
  } catch {
    return false;
  }
  return allowlist.some((entry) => {
    try {
      const range = ipaddr.parseCIDR(entry);
      return address.kind() === range[0].kind() && address.match(range);
    } catch {
      return false;
    }
  });
}
