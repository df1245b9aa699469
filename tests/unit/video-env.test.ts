import { describe, expect, it } from "vitest";
import { generateKeyPairSync } from "node:crypto";
import { ConfigurationError, parseEnv } from "@/lib/env";
import { PRODUCTION_ENV } from "../helpers/production-env";

// BIL-2 / ENC-3: Mux settings are checked at start-up like every other setting.
const pem = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } }).privateKey;
const TOKENS = { MUX_TOKEN_ID: "id", MUX_TOKEN_SECRET: "secret" };
const SIGNING = { MUX_SIGNING_KEY_ID: "key", MUX_SIGNING_PRIVATE_KEY: Buffer.from(pem).toString("base64") };

describe("Mux configuration (BIL-2)", () => {
  it("unset: video is not configured; tokens: public playback; tokens and a signing key (base64 PEM or PEM): signed playback", () => {
    expect(parseEnv({})).toMatchObject({ muxConfigured: false, muxSignedPlayback: false, MUX_API_TIMEOUT_MS: 10_000 });
    expect(parseEnv(TOKENS)).toMatchObject({ muxConfigured: true, muxSignedPlayback: false });
    expect(parseEnv({ ...TOKENS, ...SIGNING })).toMatchObject({ muxConfigured: true, muxSignedPlayback: true });
    expect(parseEnv({ ...TOKENS, ...SIGNING, MUX_SIGNING_PRIVATE_KEY: pem })).toMatchObject({ muxSignedPlayback: true });
    expect(parseEnv({ ...PRODUCTION_ENV, ...TOKENS, ...SIGNING })).toMatchObject({ muxSignedPlayback: true });
  });

  it.each([
    ["half a token pair", { MUX_TOKEN_ID: "id" }, /MUX_TOKEN_ID and MUX_TOKEN_SECRET together/],
    ["half a signing key", { ...TOKENS, MUX_SIGNING_KEY_ID: "key" }, /MUX_SIGNING_KEY_ID and MUX_SIGNING_PRIVATE_KEY together/],
    ["a signing key without tokens", SIGNING, /signing key needs MUX_TOKEN_ID/],
    ["a private key that is not a PEM", { ...TOKENS, ...SIGNING, MUX_SIGNING_PRIVATE_KEY: "bm90IGEga2V5" }, /must be the RSA private key/],
    ["a plain-http API URL in production", { ...PRODUCTION_ENV, ...TOKENS, MUX_API_URL: "http://mux.example.com" }, /MUX_API_URL must be https/],
  ])("refuses %s", (_name, source, message) => {
    expect(() => parseEnv(source)).toThrow(ConfigurationError);
    expect(() => parseEnv(source)).toThrow(message);
  });
});
