import { describe, expect, it } from "vitest";
import { ConfigurationError, parseEnv } from "@/lib/env";
import { PRODUCTION_ENV } from "../helpers/production-env";

// SSRF-1: the URL-import settings: allowed ports, and the loopback allow-list that exists for tests only.
const production = PRODUCTION_ENV;

describe("SSRF-1: URL import settings", () => {
  it("allows ports 80 and 443 and no loopback host by default", () => {
    expect(parseEnv({})).toMatchObject({ URL_IMPORT_ALLOWED_PORTS: [80, 443], URL_IMPORT_ALLOW_HOSTS: [] });
    expect(parseEnv(production)).toMatchObject({ URL_IMPORT_ALLOWED_PORTS: [80, 443], URL_IMPORT_ALLOW_HOSTS: [] });
  });

  it("reads a configured list of ports", () => {
    expect(parseEnv({ URL_IMPORT_ALLOWED_PORTS: "443, 8443" }).URL_IMPORT_ALLOWED_PORTS).toEqual([443, 8443]);
  });

  it.each(["0", "65536", "80,http", "-1"])("refuses the port list %s", (ports) => {
    expect(() => parseEnv({ URL_IMPORT_ALLOWED_PORTS: ports })).toThrow(ConfigurationError);
  });

  it("accepts exact loopback address:port pairs outside production", () => {
    expect(parseEnv({ NODE_ENV: "test", URL_IMPORT_ALLOW_HOSTS: "127.0.0.1:4010, [::1]:4011" }).URL_IMPORT_ALLOW_HOSTS).toEqual([
      "127.0.0.1:4010",
      "[::1]:4011",
    ]);
  });

  it.each(["localhost:4010", "10.0.0.1:80", "127.0.0.1", "example.com:443", "127.0.0.2:80", "0.0.0.0:80"])(
    "refuses the allow-list entry %s (only loopback pairs)",
    (entry) => {
      expect(() => parseEnv({ NODE_ENV: "test", URL_IMPORT_ALLOW_HOSTS: entry })).toThrow(/loopback/);
    },
  );

  it("refuses any allow-listed host in production", () => {
    expect(() => parseEnv({ ...production, URL_IMPORT_ALLOW_HOSTS: "127.0.0.1:4010" })).toThrow(/URL_IMPORT_ALLOW_HOSTS.*refused in production/);
  });
});
