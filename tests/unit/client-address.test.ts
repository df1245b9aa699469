import { describe, expect, it } from "vitest";
import { clientAddressFrom, normalisedAddress, type ClientAddressConfig } from "@/lib/http/client-address";
import { parseEnv } from "@/lib/env";
import { CLIENT_ADDRESS_HEADER, productionClientIpSource, sanitizeForwardingHeaders } from "@/lib/http/forwarding-headers.mjs";

// RL-1 / AUD-1 / KEY-2: the one function that decides the client address, for every deployment it supports.
const socket: ClientAddressConfig = { source: "socket", trustedProxyHops: 1, serverEntry: true };
const forwarded = (trustedProxyHops: number): ClientAddressConfig => ({ source: "forwarded", trustedProxyHops });
const vercel: ClientAddressConfig = { source: "vercel", trustedProxyHops: 1 };
const forged = { "x-forwarded-for": "10.9.9.5", "x-real-ip": "10.9.9.5", "x-vercel-forwarded-for": "10.9.9.5", forwarded: "for=10.9.9.5" };

describe("client address: directly exposed (socket)", () => {
  it("is the socket's address the server entry wrote, whatever forwarding headers the client forged", () => {
    const h = new Headers({ ...forged, [CLIENT_ADDRESS_HEADER]: "198.51.100.7" });
    expect(clientAddressFrom(h, socket)).toBe("198.51.100.7");
  });

  it("is unknown (null) when the app was not started through the server entry, even if the header is present", () => {
    const h = new Headers({ ...forged, [CLIENT_ADDRESS_HEADER]: "10.9.9.5" });
    expect(clientAddressFrom(h, { ...socket, serverEntry: false })).toBeNull();
  });

  it("is unknown without the entry's header; never falls back to a forwarding header", () => {
    expect(clientAddressFrom(new Headers(forged), socket)).toBeNull();
  });

  it("defaults to this process's marker: a test process was not started through the entry", () => {
    expect(clientAddressFrom(new Headers({ [CLIENT_ADDRESS_HEADER]: "198.51.100.7" }), { source: "socket", trustedProxyHops: 1 })).toBeNull();
  });
});

describe("client address: behind N proxies (forwarded)", () => {
  const h = (xff: string) => new Headers({ "x-forwarded-for": xff, "x-real-ip": "10.9.9.5" });
  it.each([
    ["one proxy, nothing forged", "203.0.113.9", 1, "203.0.113.9"],
    ["one proxy, a forged entry on the left", "10.9.9.5, 203.0.113.9", 1, "203.0.113.9"],
    ["two proxies", "10.9.9.5, 203.0.113.9, 192.0.2.1", 2, "203.0.113.9"],
    ["three proxies", "203.0.113.9, 192.0.2.1, 192.0.2.2", 3, "203.0.113.9"],
    ["fewer entries than proxies: one was bypassed", "203.0.113.9", 2, null],
    ["an entry that is not an address", "10.9.9.5, not-an-ip", 1, null],
    ["an empty entry", "10.9.9.5, ", 1, null],
  ])("%s", (_name, xff, hops, expected) => {
    expect(clientAddressFrom(h(xff), forwarded(hops))).toBe(expected);
  });

  it("ignores X-Real-IP (not appended hop by hop) and answers null without X-Forwarded-For", () => {
    expect(clientAddressFrom(new Headers({ "x-real-ip": "10.9.9.5" }), forwarded(1))).toBeNull();
  });
});

describe("client address: on Vercel", () => {
  it("is the platform's X-Vercel-Forwarded-For, not X-Forwarded-For or X-Real-IP", () => {
    const h = new Headers({ "x-forwarded-for": "10.9.9.5", "x-real-ip": "10.9.9.5", "x-vercel-forwarded-for": "198.51.100.8" });
    expect(clientAddressFrom(h, vercel)).toBe("198.51.100.8");
    expect(clientAddressFrom(new Headers({ "x-forwarded-for": "10.9.9.5", "x-real-ip": "10.9.9.5" }), vercel)).toBeNull();
  });
});

describe("client address: one spelling per address", () => {
  it.each([
    ["::ffff:127.0.0.1", "127.0.0.1"],
    ["203.0.113.9:51234", "203.0.113.9"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["2001:DB8:0:0::1", "2001:db8::1"],
    ["127.1", null],
    ["010.0.0.1", null],
    ["fe80::1%eth0", null],
    ["", null],
    ["x".repeat(65), null],
  ])("%j -> %j", (raw, expected) => {
    expect(normalisedAddress(raw)).toBe(expected);
  });
});

describe("server entry header sanitising", () => {
  const sent = {
    host: "app.example.com",
    "user-agent": "curl",
    ...forged,
    "x-forwarded-host": "evil.example",
    "x-forwarded-proto": "https",
    "x-vercel-ip-country": "XX",
    "cf-connecting-ip": "10.9.9.5",
    "true-client-ip": "10.9.9.5",
    [CLIENT_ADDRESS_HEADER]: "10.9.9.5",
  };

  it("directly exposed: drops every client-sent forwarding header and writes the socket's address", () => {
    const out = sanitizeForwardingHeaders(sent, "198.51.100.7", { trustProxyHeaders: false });
    expect(out).toEqual({ host: "app.example.com", "user-agent": "curl", [CLIENT_ADDRESS_HEADER]: "198.51.100.7" });
    expect(sent[CLIENT_ADDRESS_HEADER]).toBe("10.9.9.5"); // the input is not changed
  });

  it("behind proxies: keeps their headers, still never the client's copy of ours", () => {
    const out = sanitizeForwardingHeaders(sent, "192.0.2.1", { trustProxyHeaders: true });
    expect(out["x-forwarded-for"]).toBe("10.9.9.5");
    expect(out[CLIENT_ADDRESS_HEADER]).toBe("192.0.2.1");
  });

  it("without a socket address: no address header at all", () => {
    expect(sanitizeForwardingHeaders(sent, undefined, { trustProxyHeaders: false })).not.toHaveProperty(CLIENT_ADDRESS_HEADER);
  });
});

describe("server entry and configuration agree on the source", () => {
  const production = { NODE_ENV: "production", APP_URL: "http://localhost:3100", ALLOW_EMBEDDED_IN_PRODUCTION: "true" };
  it.each([{}, { VERCEL: "1" }, { CLIENT_IP_SOURCE: "socket", VERCEL: "1" }, { CLIENT_IP_SOURCE: "forwarded", TRUSTED_PROXY_HOPS: "2" }, { CLIENT_IP_SOURCE: "vercel", VERCEL: "1" }])(
    "%j",
    (settings) => {
      const environment = { ...production, ...settings };
      expect(productionClientIpSource(environment)).toBe(parseEnv(environment).clientIpSource);
    },
  );
});
