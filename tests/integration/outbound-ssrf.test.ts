import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkTarget,
  dnsServerResolver,
  fetchPublicUrl,
  OutboundRefusedError,
  type HostResolver,
  type OutboundRefusalReason,
  type PublicUrlPolicy,
} from "@/lib/http/outbound";
import { startDnsServer, type DnsServer } from "../helpers/dns-server";

/**
 * SSRF-1 attacks. Every URL here is refused before a connection is made: where a broken check would connect, it
 * would reach a listener of this file on 127.0.0.1 or ::1, and each test asserts that listener saw nothing.
 * Names resolve through a real DNS server on 127.0.0.1 (tests/helpers/dns-server.ts).
 */

interface Listener {
  server: Server;
  port: number;
  connections: number;
  requests: string[];
}

async function listen(host: string, handler: (req: IncomingMessage, res: ServerResponse) => void, port = 0): Promise<Listener> {
  const server = createServer(handler);
  const l: Listener = { server, port: 0, connections: 0, requests: [] };
  server.on("connection", () => l.connections++);
  server.on("request", (req: IncomingMessage) => l.requests.push(req.url ?? ""));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  l.port = (server.address() as AddressInfo).port;
  return l;
}

const close = (l: Listener) => new Promise<void>((resolve) => l.server.close(() => resolve()));

const trapHandler = (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end("trap: a refused URL was fetched");
};

// The allow-listed test server (127.0.0.1:allowed.port) and traps: trap4/trap6 share one port on 127.0.0.1 and ::1;
// shadow6 is ::1 on the allow-listed server's port, where a second (rebinding) answer would land.
let allowed: Listener;
let trap4: Listener;
let trap6: Listener;
let shadow6: Listener;
let otherPort: Listener;
let dns: DnsServer;
let resolver: HostResolver;

const records: Record<string, { A?: string[]; AAAA?: string[] }> = {
  "loopback.test": { A: ["127.0.0.1"] },
  "loopback6.test": { AAAA: ["::1"] },
  "mapped.test": { AAAA: ["::ffff:127.0.0.1"] },
  "unspecified.test": { A: ["0.0.0.0"] },
  "private.test": { A: ["10.0.0.5"] },
  "rfc1918-172.test": { A: ["172.20.1.1"] },
  "rfc1918-192.test": { A: ["192.168.0.10"] },
  "cgnat.test": { A: ["100.64.1.1"] },
  "metadata.test": { A: ["169.254.169.254"] },
  "ula.test": { AAAA: ["fd00:ec2::254"] },
  "mapped-private.test": { AAAA: ["::ffff:10.1.2.3"] },
  "nat64.test": { AAAA: ["64:ff9b::a9fe:a9fe"] },
  "public-and-private.test": { A: ["93.184.216.34", "10.0.0.1"] },
  "public-v4-private-v6.test": { A: ["93.184.216.34"], AAAA: ["fe80::1"] },
  "public.test": { A: ["93.184.216.34"], AAAA: ["2606:2800:220:1::1"] },
  "empty.test": {},
};

function answer(name: string, type: "A" | "AAAA", count: number): string[] | null {
  if (name === "allowed.test") return type === "A" ? ["127.0.0.1"] : [];
  // Allowed once (the allow-listed pair), then ::1 on the same port: what DNS rebinding would send.
  if (name === "rebind.test" || name === "rebind-hop.test") {
    if (type === "A") return count === 1 ? ["127.0.0.1"] : [];
    return count === 1 ? [] : ["::1"];
  }
  if (name === "allowed-and-loopback6.test") return type === "A" ? ["127.0.0.1"] : ["::1"];
  const r = records[name];
  return r ? (r[type] ?? []) : null;
}

beforeAll(async () => {
  dns = await startDnsServer(answer);
  resolver = dnsServerResolver([dns.server]);
  allowed = await listen("127.0.0.1", (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const to = url.searchParams.get("to");
    if (url.pathname === "/redirect" && to) {
      res.writeHead(302, { location: to });
      res.end();
      return;
    }
    const chain = /^\/chain\/(\d+)$/.exec(url.pathname);
    if (chain) {
      const n = Number(chain[1]);
      if (n > 0) {
        res.writeHead(301, { location: `/chain/${n - 1}` });
        res.end();
        return;
      }
    }
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("from the checked address");
  });
  // ::1 on the allowed server's port, and one port on both loopback addresses for the traps.
  shadow6 = await listen("::1", trapHandler, allowed.port);
  for (;;) {
    trap4 = await listen("127.0.0.1", trapHandler);
    try {
      trap6 = await listen("::1", trapHandler, trap4.port);
      break;
    } catch {
      await close(trap4);
    }
  }
  otherPort = await listen("127.0.0.1", trapHandler);
});

afterAll(async () => {
  await Promise.all([allowed, trap4, trap6, shadow6, otherPort].filter(Boolean).map(close));
  await dns?.close();
});

/** The policy under test: the trap port counts as an allowed port, so the address check is what must refuse. */
function policy(extra: Partial<PublicUrlPolicy> = {}): PublicUrlPolicy {
  return {
    allowedContentTypes: ["text/plain"],
    maxBytes: 1024,
    allowedPorts: [trap4.port],
    allowHosts: [`127.0.0.1:${allowed.port}`],
    resolver,
    retry: { retries: 0 },
    timeouts: { connectMs: 2_000, headersMs: 2_000, totalMs: 5_000 },
    ...extra,
  };
}

async function refusal(p: Promise<unknown>): Promise<OutboundRefusalReason> {
  try {
    await p;
  } catch (e) {
    if (e instanceof OutboundRefusedError) return e.reason;
    throw e;
  }
  throw new Error("the URL was fetched");
}

function connectionsSeen(): number {
  return trap4.connections + trap6.connections + shadow6.connections + otherPort.connections;
}

describe("SSRF-1: user-supplied URLs that would reach this machine are refused before connecting", () => {
  const T = () => trap4.port;
  const cases: [string, () => string, OutboundRefusalReason][] = [
    ["loopback", () => `http://127.0.0.1:${T()}/`, "private_address"],
    ["decimal IPv4", () => `http://2130706433:${T()}/`, "private_address"],
    ["octal IPv4", () => `http://017700000001:${T()}/`, "private_address"],
    ["dotted octal IPv4", () => `http://0177.0.0.1:${T()}/`, "private_address"],
    ["hex IPv4", () => `http://0x7f000001:${T()}/`, "private_address"],
    ["short hex IPv4", () => `http://0x7f.1:${T()}/`, "private_address"],
    ["short IPv4", () => `http://127.1:${T()}/`, "private_address"],
    ["loopback with a trailing dot", () => `http://127.0.0.1.:${T()}/`, "private_address"],
    ["full-width digits", () => `http://１２７.０.０.１:${T()}/`, "private_address"],
    ["IPv6 loopback", () => `http://[::1]:${T()}/`, "private_address"],
    ["IPv4-mapped IPv6 loopback", () => `http://[::ffff:127.0.0.1]:${T()}/`, "private_address"],
    ["IPv4-mapped IPv6 loopback in hex", () => `http://[::ffff:7f00:1]:${T()}/`, "private_address"],
    ["IPv4-compatible IPv6 loopback", () => `http://[::127.0.0.1]:${T()}/`, "private_address"],
    ["IPv6 unspecified", () => `http://[::]:${T()}/`, "private_address"],
    ["IPv4 unspecified", () => `http://0.0.0.0:${T()}/`, "private_address"],
    ["IPv4 zero", () => `http://0:${T()}/`, "private_address"],
    ["localhost", () => `http://localhost:${T()}/`, "blocked_host"],
    ["localhost with a trailing dot, upper case", () => `http://LOCALHOST.:${T()}/`, "blocked_host"],
    ["IDNA circled letter mapping to localhost", () => `http://ⓛocalhost:${T()}/`, "blocked_host"],
    ["IDNA full-width localhost", () => `http://ｌｏｃａｌｈｏｓｔ:${T()}/`, "blocked_host"],
    ["soft hyphen inside localhost", () => `http://loc\u00adalhost:${T()}/`, "blocked_host"],
    ["a subdomain of localhost", () => `http://app.localhost:${T()}/`, "blocked_host"],
    ["localhost.localdomain", () => `http://localhost.localdomain:${T()}/`, "blocked_host"],
    ["a DNS name resolving to loopback", () => `http://loopback.test:${T()}/`, "private_address"],
    ["a DNS name resolving to IPv6 loopback", () => `http://loopback6.test:${T()}/`, "private_address"],
    ["a DNS name resolving to IPv4-mapped loopback", () => `http://mapped.test:${T()}/`, "private_address"],
    ["a DNS name resolving to 0.0.0.0", () => `http://unspecified.test:${T()}/`, "private_address"],
    ["a DNS name with a trailing dot", () => `http://loopback.test.:${T()}/`, "private_address"],
    ["credentials in the URL", () => `http://user:pass@127.0.0.1:${T()}/`, "credentials"],
    ["a user name alone", () => `http://user@127.0.0.1:${T()}/`, "credentials"],
    ["credentials on the allow-listed server", () => `http://user:pass@127.0.0.1:${allowed.port}/`, "credentials"],
    ["ftp", () => `ftp://127.0.0.1:${T()}/`, "scheme"],
    ["file", () => "file:///etc/passwd", "scheme"],
    ["gopher", () => `gopher://127.0.0.1:${T()}/_GET`, "scheme"],
    ["data", () => "data:text/plain,hello", "scheme"],
    ["javascript", () => "javascript:alert(1)", "scheme"],
    ["websocket", () => `ws://127.0.0.1:${T()}/`, "scheme"],
    ["a port that is not allowed", () => `http://127.0.0.1:${otherPort.port}/`, "port"],
    ["a name with one allow-listed and one loopback record", () => `http://allowed-and-loopback6.test:${allowed.port}/`, "private_address"],
    ["the allow-listed port on another loopback address", () => `http://[::1]:${allowed.port}/`, "private_address"],
    ["an unknown name", () => `http://nxdomain.test:${T()}/`, "dns"],
    ["a name with no address", () => `http://empty.test:${T()}/`, "dns"],
    ["not a URL", () => "http://exa mple.com/", "invalid_url"],
  ];

  it.each(cases)("%s is refused", async (_name, url, reason) => {
    const before = connectionsSeen();
    const allowedBefore = allowed.connections;
    expect(await refusal(fetchPublicUrl(url(), policy()))).toBe(reason);
    expect(connectionsSeen()).toBe(before);
    expect(allowed.connections).toBe(allowedBefore);
  });

  it("the table covers at least 40 URLs", () => {
    expect(cases.length + addressCases.length).toBeGreaterThanOrEqual(40);
  });
});

// Private, reserved and metadata addresses that are not on this machine: checked with `checkTarget`, the per-hop check
// `fetchPublicUrl` runs, which never connects (so a broken check still cannot reach them from a test).
const addressCases: [string, string, OutboundRefusalReason][] = [
  ["RFC 1918 10/8", "http://10.0.0.1/", "private_address"],
  ["RFC 1918 172.16/12", "http://172.31.255.254/", "private_address"],
  ["RFC 1918 192.168/16", "http://192.168.1.1/", "private_address"],
  ["RFC 1918 in decimal", "http://3232235777/", "private_address"],
  ["CGNAT 100.64/10", "http://100.64.0.1/", "private_address"],
  ["Alibaba metadata", "http://100.100.100.200/", "private_address"],
  ["AWS/GCP/Azure metadata", "http://169.254.169.254/latest/meta-data/", "private_address"],
  ["metadata in hex", "http://0xa9fea9fe/", "private_address"],
  ["metadata in dotted octal", "http://0251.0376.0251.0376/", "private_address"],
  ["ECS task metadata", "http://169.254.170.2/v2/credentials", "private_address"],
  ["Azure WireServer", "http://168.63.129.16/", "private_address"],
  ["AWS metadata over IPv6", "http://[fd00:ec2::254]/", "private_address"],
  ["IPv6 unique local", "http://[fc00::1]/", "private_address"],
  ["IPv6 link-local", "http://[fe80::1]/", "private_address"],
  ["IPv6 multicast", "http://[ff02::1]/", "private_address"],
  ["IPv4 multicast", "http://224.0.0.1/", "private_address"],
  ["broadcast", "http://255.255.255.255/", "private_address"],
  ["reserved 240/4", "http://240.0.0.1/", "private_address"],
  ["documentation 192.0.2/24", "http://192.0.2.1/", "private_address"],
  ["documentation 198.51.100/24", "http://198.51.100.7/", "private_address"],
  ["documentation 203.0.113/24", "http://203.0.113.9/", "private_address"],
  ["benchmarking 198.18/15", "http://198.19.0.1/", "private_address"],
  ["IPv6 documentation", "http://[2001:db8::1]/", "private_address"],
  ["6to4 wrapping loopback", "http://[2002:7f00:1::1]/", "private_address"],
  ["Teredo", "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "private_address"],
  ["NAT64 wrapping metadata", "http://[64:ff9b::a9fe:a9fe]/", "private_address"],
  ["IPv4-mapped private", "http://[::ffff:10.0.0.1]/", "private_address"],
  ["IPv4-mapped metadata", "http://[::ffff:169.254.169.254]/", "private_address"],
  ["IPv4-compatible private", "http://[::10.0.0.1]/", "private_address"],
  ["IPv4-compatible form of a public address", "http://[::8.8.8.8]/", "private_address"],
  ["a name resolving to 10/8", "http://private.test/", "private_address"],
  ["a name resolving to 172.16/12", "http://rfc1918-172.test/", "private_address"],
  ["a name resolving to 192.168/16", "http://rfc1918-192.test/", "private_address"],
  ["a name resolving to CGNAT", "http://cgnat.test/", "private_address"],
  ["a name resolving to metadata", "http://metadata.test/", "private_address"],
  ["a name resolving to IPv6 metadata", "http://ula.test/", "private_address"],
  ["a name resolving to mapped private IPv6", "http://mapped-private.test/", "private_address"],
  ["a name resolving to NAT64", "http://nat64.test/", "private_address"],
  ["a name with one public and one private A record", "http://public-and-private.test/", "private_address"],
  ["a name with a public A and a link-local AAAA record", "http://public-v4-private-v6.test/", "private_address"],
  ["GCP metadata by name", "http://metadata.google.internal/computeMetadata/v1/", "blocked_host"],
  ["GCP metadata by name with a trailing dot", "http://metadata.google.internal./", "blocked_host"],
  ["GCP metadata with an ideographic full stop", "http://metadata\u3002google\u3002internal/", "blocked_host"],
  ["a single-label name", "http://intranet/", "blocked_host"],
  ["an mDNS name", "http://printer.local/", "blocked_host"],
  ["a public name on port 8080", "http://public.test:8080/", "port"],
  ["https on port 22", "https://public.test:22/", "port"],
];

describe("SSRF-1: private, reserved and metadata addresses are refused by the per-hop check", () => {
  it.each(addressCases)("%s is refused", async (_name, url, reason) => {
    expect(await refusal(checkTarget(url, { allowedPorts: [80, 443], allowHosts: [], resolver }))).toBe(reason);
  });

  it("a public name passes the check and is pinned to the address it resolved to", async () => {
    const target = await checkTarget("https://public.test/doc.pdf", { allowedPorts: [80, 443], allowHosts: [], resolver });
    expect(target.address).toEqual({ address: "93.184.216.34", family: 4 });
    expect(target.port).toBe(443);
  });

  it("a public name on a port the deployment allows passes", async () => {
    const target = await checkTarget("http://public.test:8080/", { allowedPorts: [80, 443, 8080], allowHosts: [], resolver });
    expect(target.port).toBe(8080);
  });
});

describe("SSRF-1: a local test server is importable only when explicitly allow-listed", () => {
  it("is fetched when its exact address and port are allow-listed", async () => {
    const result = await fetchPublicUrl(`http://127.0.0.1:${allowed.port}/doc.txt`, policy());
    expect(await new Response(result.body).text()).toBe("from the checked address");
  });

  it("an allow-listed IPv6 pair is fetched by name, over IPv6, at the address that was checked", async () => {
    const before = shadow6.requests.length;
    const result = await fetchPublicUrl(`http://loopback6.test:${shadow6.port}/six`, policy({ allowHosts: [`[::1]:${shadow6.port}`] }));
    await result.body.cancel();
    expect(result.status).toBe(200);
    expect(shadow6.requests.slice(before)).toEqual(["/six"]);
  });

  it("is refused without the allow-list entry, even on an allowed port", async () => {
    const before = allowed.connections;
    expect(await refusal(fetchPublicUrl(`http://127.0.0.1:${allowed.port}/`, policy({ allowHosts: [], allowedPorts: [allowed.port] })))).toBe(
      "private_address",
    );
    expect(await refusal(fetchPublicUrl(`http://127.0.0.1:${allowed.port}/`, policy({ allowHosts: [], allowedPorts: undefined })))).toBe("port");
    expect(allowed.connections).toBe(before);
  });

  it("an allow-list entry that is not loopback is a configuration error", async () => {
    await expect(fetchPublicUrl("http://public.test/", policy({ allowHosts: ["93.184.216.34:80"] }))).rejects.toThrow(/loopback/);
    await expect(fetchPublicUrl("http://public.test/", policy({ allowHosts: ["public.test:80"] }))).rejects.toThrow(/loopback/);
  });
});

describe("SSRF-1: every redirect is checked from scratch", () => {
  const from = (to: string) => `http://127.0.0.1:${allowed.port}/redirect?to=${encodeURIComponent(to)}`;
  const redirects: [string, () => string, OutboundRefusalReason][] = [
    ["to loopback", () => `http://127.0.0.1:${trap4.port}/`, "private_address"],
    ["to IPv4-mapped loopback", () => `http://[::ffff:127.0.0.1]:${trap4.port}/`, "private_address"],
    ["to IPv6 loopback", () => `http://[::1]:${trap4.port}/`, "private_address"],
    ["to decimal loopback", () => `http://2130706433:${trap4.port}/`, "private_address"],
    ["to a name resolving to loopback", () => `http://loopback.test:${trap4.port}/`, "private_address"],
    ["to localhost", () => `http://localhost:${trap4.port}/`, "blocked_host"],
    ["to a non-http scheme", () => `ftp://127.0.0.1:${trap4.port}/`, "scheme"],
    ["to file:", () => "file:///etc/passwd", "scheme"],
    ["to a URL with credentials", () => `http://u:p@127.0.0.1:${allowed.port}/`, "credentials"],
    ["to a port that is not allowed", () => `http://127.0.0.1:${otherPort.port}/`, "port"],
  ];

  it.each(redirects)("a redirect %s is refused", async (_name, to, reason) => {
    const before = connectionsSeen();
    expect(await refusal(fetchPublicUrl(from(to()), policy()))).toBe(reason);
    expect(connectionsSeen()).toBe(before);
  });

  it("three redirects are followed; the fourth is refused", async () => {
    const three = await fetchPublicUrl(`http://127.0.0.1:${allowed.port}/chain/3`, policy());
    expect(three.redirects).toBe(3);
    expect(three.url).toBe(`http://127.0.0.1:${allowed.port}/chain/0`);
    await three.body.cancel();
    expect(await refusal(fetchPublicUrl(`http://127.0.0.1:${allowed.port}/chain/4`, policy()))).toBe("too_many_redirects");
  });

  it("a name whose second resolution differs is refused at the hop that resolves it again", async () => {
    const before = connectionsSeen();
    // Hop 1 reaches the allow-listed server by name; its redirect back to the same name resolves again, to ::1.
    const target = `http://rebind-hop.test:${allowed.port}/final`;
    const url = `http://rebind-hop.test:${allowed.port}/redirect?to=${encodeURIComponent(target)}`;
    expect(await refusal(fetchPublicUrl(url, policy()))).toBe("private_address");
    expect(allowed.requests).toContain(`/redirect?to=${encodeURIComponent(target)}`);
    expect(connectionsSeen()).toBe(before);
  });
});

describe("SSRF-1: the connection goes to the checked address (DNS rebinding)", () => {
  it("a name whose second resolution would differ is fetched from the first, checked answer only", async () => {
    const asked = dns.queries.filter((q) => q.name === "rebind.test").length;
    const shadowBefore = shadow6.connections;
    const result = await fetchPublicUrl(`http://rebind.test:${allowed.port}/doc.txt`, policy());
    expect(await new Response(result.body).text()).toBe("from the checked address");
    expect(shadow6.connections).toBe(shadowBefore);
    // One resolution for the hop: one A and one AAAA question, nothing asked at connect time.
    expect(dns.queries.filter((q) => q.name === "rebind.test").length - asked).toBe(2);
  });
});
