import { lookup } from "node:dns/promises";
import { Resolver as DnsResolver } from "node:dns/promises";
import { isIP } from "node:net";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every A and AAAA record of a host name. Called once per hop (SSRF-1); the connection goes to what it returned. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

function toResolved(address: string): ResolvedAddress | undefined {
  const family = isIP(address);
  return family === 4 || family === 6 ? { address, family } : undefined;
}

/** The operating system's resolver (getaddrinfo: /etc/hosts, then DNS), every address it returns. */
export const systemResolver: HostResolver = async (hostname) => {
  const records = await lookup(hostname, { all: true, order: "verbatim" });
  return records.map((r) => toResolved(r.address)).filter((r): r is ResolvedAddress => r !== undefined);
};

/** A resolver that asks the given DNS servers ("1.2.3.4" or "127.0.0.1:5353") for A and AAAA records. */
export function dnsServerResolver(servers: string[], options: { timeoutMs?: number } = {}): HostResolver {
  const resolver = new DnsResolver({ timeout: options.timeoutMs ?? 2_000, tries: 2 });
  resolver.setServers(servers);
  const records = async (query: Promise<string[]>): Promise<string[]> => {
    try {
      return await query;
    } catch (e) {
      // No record of this type is an empty answer, not a failure.
      if ((e as NodeJS.ErrnoException).code === "ENODATA") return [];
      throw e;
    }
  };
  return async (hostname) => {
    const [a, aaaa] = await Promise.all([records(resolver.resolve4(hostname)), records(resolver.resolve6(hostname))]);
    return [...a, ...aaaa].map(toResolved).filter((r): r is ResolvedAddress => r !== undefined);
  };
}
