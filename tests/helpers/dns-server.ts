import { createSocket, type Socket } from "node:dgram";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * A tiny authoritative DNS server on 127.0.0.1 for the SSRF tests: answers A and AAAA questions from a function, so a
 * test controls what a name resolves to, and what it resolves to the second time (DNS rebinding).
 */

export type RecordType = "A" | "AAAA";

/** Addresses for a question; `null` answers NXDOMAIN. `count` is how many times this name and type were asked. */
export type Answer = (name: string, type: RecordType, count: number) => string[] | null;

export interface DnsServer {
  /** "127.0.0.1:port", for `dnsServerResolver`. */
  server: string;
  /** Every question received, in order. */
  queries: { name: string; type: RecordType }[];
  close(): Promise<void>;
}

const TYPES: Record<number, RecordType> = { 1: "A", 28: "AAAA" };
const CODES: Record<RecordType, number> = { A: 1, AAAA: 28 };

function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = offset;
  while (msg[i] !== 0) {
    const len = msg[i]!;
    labels.push(msg.subarray(i + 1, i + 1 + len).toString("latin1"));
    i += len + 1;
  }
  return { name: labels.join(".").toLowerCase(), end: i + 1 };
}

function rdata(type: RecordType, address: string): Buffer {
  if (type === "A" ? isIP(address) !== 4 : isIP(address) !== 6) throw new Error(`${address} is not an ${type} address`);
  return Buffer.from(ipaddr.parse(address).toByteArray());
}

function respond(msg: Buffer, answer: Answer, counts: Map<string, number>, queries: DnsServer["queries"]): Buffer {
  const id = msg.readUInt16BE(0);
  const { name, end } = readName(msg, 12);
  const qtype = msg.readUInt16BE(end);
  const question = msg.subarray(12, end + 4);
  const type = TYPES[qtype];
  let addresses: string[] | null = [];
  if (type) {
    queries.push({ name, type });
    const key = `${name}|${type}`;
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    addresses = answer(name, type, count);
  }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x8400 | 0x0100 | (addresses === null ? 3 : 0), 2); // QR, AA, RD echoed; NXDOMAIN or NOERROR
  header.writeUInt16BE(1, 4);
  const records = (addresses ?? []).map((address) => {
    const data = rdata(type!, address);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // the question's name
    rr.writeUInt16BE(CODES[type!], 2);
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(0, 6); // TTL 0: nothing may be cached between resolutions
    rr.writeUInt16BE(data.length, 10);
    return Buffer.concat([rr, data]);
  });
  header.writeUInt16BE(records.length, 6);
  return Buffer.concat([header, question, ...records]);
}

export async function startDnsServer(answer: Answer): Promise<DnsServer> {
  const socket: Socket = createSocket("udp4");
  const counts = new Map<string, number>();
  const queries: DnsServer["queries"] = [];
  socket.on("message", (msg, rinfo) => {
    try {
      socket.send(respond(msg, answer, counts, queries), rinfo.port, rinfo.address);
    } catch {
      // A malformed question gets no answer; the resolver times out.
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    server: `127.0.0.1:${socket.address().port}`,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
